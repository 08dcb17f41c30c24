#include "store_fixture.hpp"

namespace herald::store::test {
namespace {

using notify::NotificationType;
using notify::StoreErrc;
using notify::UpsertUserResult;
using notify::User;
using notify::UserUpdate;

class Directory : public StoreTest {
protected:
  Result<UpsertUserResult> upsert(UserUpdate u) {
    return call<UpsertUserResult>([&](auto cb) { repo_->upsert_user(std::move(u), cb); });
  }
  Result<User> get(const std::string& id) {
    return call<User>([&](auto cb) { repo_->get_user(id, cb); });
  }
};

TEST_P(Directory, UpsertCreatesThenMerges) {
  auto created = upsert({"u1", "ann", "Ann A.", std::vector<std::string>{"ops", "dev"}});
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_TRUE(created->created);
  EXPECT_EQ(created->user, (User{"u1", "ann", "Ann A.", {"dev", "ops"}}));

  // Only display_name given: username and departments stay.
  auto merged = upsert({"u1", std::nullopt, "Ann B.", std::nullopt});
  ASSERT_TRUE(merged);
  EXPECT_FALSE(merged->created);
  EXPECT_EQ(merged->user, (User{"u1", "ann", "Ann B.", {"dev", "ops"}}));

  // Departments given: they replace the set.
  merged = upsert({"u1", std::nullopt, std::nullopt, std::vector<std::string>{"sales"}});
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->user.departments, std::vector<std::string>{"sales"});
  EXPECT_EQ(get("u1").value(), (User{"u1", "ann", "Ann B.", {"sales"}}));

  // An update that names nothing is still an update of an existing user.
  merged = upsert({"u1", std::nullopt, std::nullopt, std::nullopt});
  ASSERT_TRUE(merged);
  EXPECT_FALSE(merged->created);
}

TEST_P(Directory, ANewUserIsAnsweredAsStored) {
  // Created users are answered without a read-back: the answer must be what a read gives.
  auto created = upsert({"u2", std::nullopt, "Bo", std::vector<std::string>{"ops", "dev", "ops"}});
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_TRUE(created->created);
  EXPECT_EQ(created->user, (User{"u2", "", "Bo", {"dev", "ops"}}));
  EXPECT_EQ(get("u2").value(), created->user);
  auto bare = upsert({"u3", std::nullopt, std::nullopt, std::nullopt});
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->user, (User{"u3", "", "", {}}));
  EXPECT_EQ(get("u3").value(), bare->user);
}

TEST_P(Directory, UnknownUserIsNotFound) {
  auto r = get("nobody");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, StoreErrc::not_found);
  auto bad = upsert({"", "x", std::nullopt, std::nullopt});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, StoreErrc::invalid);
}

TEST_P(Directory, DefaultTypesExist) {
  auto types = call<std::vector<NotificationType>>([&](auto cb) { repo_->list_types(cb); });
  ASSERT_TRUE(types);
  std::vector<std::string> ids;
  for (const auto& t : types.value()) {
    ids.push_back(t.id);
    EXPECT_FALSE(t.name.empty());
    EXPECT_FALSE(t.icon.empty());
    EXPECT_EQ(t.color.front(), '#');
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"error", "info", "success", "system", "warning"}));
}

TEST_P(Directory, CreateTypeConflictsOnExistingId) {
  const NotificationType deploy{"deploy", "Deploy", "rocket", "#000000"};
  auto created = call<NotificationType>([&](auto cb) { repo_->create_type(deploy, cb); });
  ASSERT_TRUE(created);
  EXPECT_EQ(created.value(), deploy);
  auto again = call<NotificationType>([&](auto cb) { repo_->create_type({"deploy", "Other", "", ""}, cb); });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, StoreErrc::conflict);
  auto builtin = call<NotificationType>([&](auto cb) { repo_->create_type({"info", "Info 2", "", ""}, cb); });
  EXPECT_EQ(builtin.error().code, StoreErrc::conflict);
  auto got = call<NotificationType>([&](auto cb) { repo_->get_type("deploy", cb); });
  ASSERT_TRUE(got);
  EXPECT_EQ(got.value(), deploy);
  auto missing = call<NotificationType>([&](auto cb) { repo_->get_type("nope", cb); });
  EXPECT_EQ(missing.error().code, StoreErrc::not_found);
  auto invalid = call<NotificationType>([&](auto cb) { repo_->create_type({"x", "", "", ""}, cb); });
  EXPECT_EQ(invalid.error().code, StoreErrc::invalid);
}

TEST_P(Directory, LearntUsersShareATransactionAndPrecedeLaterWrites) {
  const auto before = stats();
  std::vector<std::promise<Result<UpsertUserResult>>> learnt(20);
  std::promise<Result<UpsertUserResult>> later;
  {
    WriterGate gate(*repo_);
    for (std::size_t i = 0; i < learnt.size(); ++i)
      repo_->learn_user(
          {"l" + std::to_string(i), std::nullopt, std::nullopt, std::vector<std::string>{"ops"}},
          [&p = learnt[i]](Result<UpsertUserResult> r) { p.set_value(std::move(r)); });
    // A write nobody lets linger, renaming a learnt user: it must run after the learning.
    repo_->upsert_user({"l0", "renamed", std::nullopt, std::nullopt},
                       [&later](Result<UpsertUserResult> r) { later.set_value(std::move(r)); });
  }
  auto renamed = later.get_future().get();
  ASSERT_TRUE(renamed) << renamed.error().message;
  EXPECT_FALSE(renamed->created);
  for (auto& p : learnt)
    ASSERT_TRUE(p.get_future().get());
  // The gate's batch, then the twenty learnt users with the rename in one.
  EXPECT_EQ(stats().write_batches - before.write_batches, 2u);
  EXPECT_EQ(get("l0").value(), (User{"l0", "renamed", "", {"ops"}}));
  EXPECT_EQ(get("l19").value().departments, std::vector<std::string>{"ops"});
}

INSTANTIATE_TEST_SUITE_P(Backings, Directory, all_backings(), backing_name);

} // namespace
} // namespace herald::store::test
