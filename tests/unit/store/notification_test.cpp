#include "store_fixture.hpp"

#include <algorithm>
#include <set>

namespace herald::store::test {
namespace {

using notify::CreatedNotification;
using notify::CreateNotificationRequest;
using notify::StoreErrc;

class Notifications : public StoreTest {
protected:
  void SetUp() override {
    StoreTest::SetUp();
    add_user("a", {"ops"});
    add_user("b", {"ops", "dev"});
    add_user("c", {"dev"});
    add_user("d", {});
  }
  void add_user(std::string id, std::vector<std::string> depts) {
    auto r = call<notify::UpsertUserResult>([&](auto cb) {
      repo_->upsert_user({id, id + "-name", std::nullopt, std::move(depts)}, cb);
    });
    ASSERT_TRUE(r);
  }
  CreateNotificationRequest request(notify::Targets targets) {
    CreateNotificationRequest req;
    req.title = "Deploy finished";
    req.content = "**done**";
    req.content_html = "<p><strong>done</strong></p>\n";
    req.type_id = "success";
    req.sender = {"ci", "ci-bot", "CI"};
    req.targets = std::move(targets);
    req.created_at = clock_.wall_now() + std::chrono::microseconds(1234567); // truncated to ms
    return req;
  }
  Result<CreatedNotification> create(const CreateNotificationRequest& req) {
    return call<CreatedNotification>([&](auto cb) { repo_->create_notification(req, cb); });
  }
  static std::vector<std::string> users_of(const CreatedNotification& c) {
    std::vector<std::string> out;
    for (const auto& r : c.recipients)
      out.push_back(r.user_id);
    return out;
  }
};

TEST_P(Notifications, ExplicitUsersIncludingUnknownOnes) {
  auto r = create(request({{"a", "newcomer"}, {}, false}));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->replayed);
  EXPECT_EQ(r->recipient_count, 2);
  EXPECT_EQ(users_of(r.value()), (std::vector<std::string>{"a", "newcomer"}));
  EXPECT_EQ(r->notification.title, "Deploy finished");
  EXPECT_EQ(r->notification.type,
            (notify::NotificationType{"success", "Success", "check-circle", "#22c55e"}));
  EXPECT_EQ(r->notification.sender, (notify::Sender{"ci", "ci-bot", "CI"}));
  EXPECT_EQ(r->notification.created_at, clock_.wall_now() + std::chrono::milliseconds(1234));
  // The unknown user now exists in the directory, so a later broadcast reaches them.
  auto user = call<notify::User>([&](auto cb) { repo_->get_user("newcomer", cb); });
  ASSERT_TRUE(user);
  EXPECT_EQ(unread("newcomer"), 1);
}

TEST_P(Notifications, DepartmentsResolveThroughTheDirectory) {
  auto r = create(request({{}, {"ops"}, false}));
  ASSERT_TRUE(r);
  EXPECT_EQ(users_of(r.value()), (std::vector<std::string>{"a", "b"}));
  r = create(request({{}, {"ops", "dev", "empty-dept"}, false}));
  ASSERT_TRUE(r);
  EXPECT_EQ(users_of(r.value()), (std::vector<std::string>{"a", "b", "c"})); // b once
  EXPECT_EQ(r->recipient_count, 3);
}

TEST_P(Notifications, BroadcastReachesEveryUserOnce) {
  auto r = create(request({{"c", "zed"}, {"ops"}, true}));
  ASSERT_TRUE(r);
  auto users = users_of(r.value());
  EXPECT_EQ(users.size(), 5u);
  EXPECT_EQ(std::set<std::string>(users.begin(), users.end()),
            (std::set<std::string>{"a", "b", "c", "d", "zed"}));
  // Recipient ids are distinct decimal strings.
  std::set<std::string> ids;
  for (const auto& rec : r->recipients)
    ids.insert(rec.recipient_id);
  EXPECT_EQ(ids.size(), 5u);
  for (const auto& u : users)
    EXPECT_EQ(unread(u), 1) << u;
}

TEST_P(Notifications, DuplicateExplicitUsersAreOneRecipient) {
  auto r = create(request({{"a", "a", "b", "a"}, {"ops"}, false}));
  ASSERT_TRUE(r);
  EXPECT_EQ(users_of(r.value()), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(unread("a"), 1);
}

TEST_P(Notifications, NoRecipientsIsStillStored) {
  auto r = create(request({{}, {"nobody-here"}, false}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->recipient_count, 0);
  EXPECT_FALSE(r->notification.id.empty());
}

TEST_P(Notifications, UnknownTypeIsInvalidAndCreatesNothing) {
  auto req = request({{"brand-new-user"}, {}, false});
  req.type_id = "nope";
  auto r = create(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, StoreErrc::invalid);
  auto user = call<notify::User>([&](auto cb) { repo_->get_user("brand-new-user", cb); });
  EXPECT_EQ(user.error().code, StoreErrc::not_found);
  auto empty = request({{""}, {}, false});
  EXPECT_EQ(create(empty).error().code, StoreErrc::invalid);
}

TEST_P(Notifications, IdempotencyKeyReplaysTheFirstResult) {
  auto req = request({{"a"}, {"dev"}, false});
  req.idempotency_key = "order-42";
  auto first = create(req);
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->replayed);

  auto changed = request({{"d"}, {}, true}); // different body, same key
  changed.title = "Something else";
  changed.idempotency_key = "order-42";
  auto second = create(changed);
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->replayed);
  EXPECT_EQ(second->notification, first->notification);
  EXPECT_EQ(second->recipients, first->recipients);
  EXPECT_EQ(second->recipient_count, 3);
  EXPECT_EQ(unread("a"), 1);
  EXPECT_EQ(unread("d"), 0); // nothing was created for the replay

  req.idempotency_key = "order-43";
  auto third = create(req);
  ASSERT_TRUE(third);
  EXPECT_FALSE(third->replayed);
  EXPECT_NE(third->notification.id, first->notification.id);
}

TEST_P(Notifications, SameKeyInOneBatchCreatesOnce) {
  std::vector<std::future<Result<CreatedNotification>>> results;
  std::vector<std::promise<Result<CreatedNotification>>> promises(5);
  {
    WriterGate gate(*repo_);
    for (auto& p : promises) {
      auto req = request({{"a"}, {}, false});
      req.idempotency_key = "same";
      results.push_back(p.get_future());
      repo_->create_notification(req, [&p](Result<CreatedNotification> r) { p.set_value(std::move(r)); });
    }
  }
  int fresh = 0;
  std::set<std::string> ids;
  for (auto& f : results) {
    auto r = f.get();
    ASSERT_TRUE(r);
    fresh += r->replayed ? 0 : 1;
    ids.insert(r->notification.id);
  }
  EXPECT_EQ(fresh, 1);
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(unread("a"), 1);
}

INSTANTIATE_TEST_SUITE_P(Backings, Notifications, all_backings(), backing_name);

} // namespace
} // namespace herald::store::test
