// What only PostgreSQL has: its migrations, several nodes sharing one database, and a
// connection lost under a running repository. The Repository contract itself is tested on
// PostgreSQL by the suites parameterized over Backing.

#include "store/pg_connection.hpp"
#include "store/pg_migrations.hpp"
#include "store_fixture.hpp"

#include <algorithm>
#include <set>
#include <thread>

namespace herald::store::test {
namespace {

using notify::CreatedNotification;
using notify::InboxItem;
using notify::StoreErrc;
using std::chrono::seconds;

class Pg : public testing::Test {
protected:
  void SetUp() override { ASSERT_NO_THROW(url_ = PgServer::instance().create_database()); }

  std::unique_ptr<PgRepository> open(PgOptions options = {}) {
    auto repo = PgRepository::open(url_, options);
    if (!repo) {
      ADD_FAILURE() << repo.error().message;
      return nullptr;
    }
    return std::move(repo).value();
  }

  // One SQL statement on a connection of its own; answers the first column of the first row.
  std::string scalar(const std::string& sql) {
    auto c = PgConnection::open(url_);
    if (!c) return "error: " + c.error().message;
    auto r = c.value()->query(sql);
    if (!r) return "error: " + r.error().message;
    return r->rows() > 0 ? r->text(0, 0) : "";
  }

  notify::CreateNotificationRequest request(std::vector<std::string> users,
                                            std::optional<std::string> key = std::nullopt) {
    notify::CreateNotificationRequest req;
    req.title = "t";
    req.content = "c";
    req.content_html = "<p>c</p>\n";
    req.type_id = "info";
    req.targets.users = std::move(users);
    req.idempotency_key = std::move(key);
    req.created_at = clock_.wall_now();
    req.ack_deadline = clock_.wall_now() + seconds(30);
    return req;
  }

  std::string url_;
  core::ManualClock clock_;
};

TEST_F(Pg, MigrateCreatesTheSchemaOnceAndRecordsItsVersion) {
  PgOptions options;
  options.migrate_on_open = false;
  auto repo = open(options);
  ASSERT_TRUE(repo);
  auto types = call<std::vector<notify::NotificationType>>([&](auto cb) { repo->list_types(cb); });
  EXPECT_FALSE(types.ok()); // no tables yet
  for (int i = 0; i < 3; ++i) {
    auto v = repo->migrate();
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_EQ(v.value(), latest_pg_schema_version());
  }
  types = call<std::vector<notify::NotificationType>>([&](auto cb) { repo->list_types(cb); });
  ASSERT_TRUE(types) << types.error().message;
  EXPECT_EQ(types->size(), 5u); // the seed rows were not inserted twice
  EXPECT_EQ(scalar("SELECT string_agg(version::text, ',') FROM schema_version"),
            std::to_string(latest_pg_schema_version()));
  repo->close();
}

TEST_F(Pg, NodesStartingTogetherMigrateOnce) {
  std::vector<std::thread> nodes;
  std::atomic<int> opened{0};
  for (int i = 0; i < 4; ++i) {
    nodes.emplace_back([&] {
      if (auto repo = PgRepository::open(url_)) {
        opened.fetch_add(1);
        repo.value()->close();
      }
    });
  }
  for (auto& t : nodes)
    t.join();
  EXPECT_EQ(opened.load(), 4);
  EXPECT_EQ(scalar("SELECT count(*) FROM notification_types"), "5");
}

TEST_F(Pg, RefusesANewerSchema) {
  open()->close();
  scalar("UPDATE schema_version SET version = 99");
  auto repo = PgRepository::open(url_);
  ASSERT_FALSE(repo);
  EXPECT_EQ(repo.error().code, StoreErrc::invalid);
  EXPECT_NE(repo.error().message.find("newer"), std::string::npos);
}

TEST_F(Pg, RejectsOtherUrlsAndUnreachableServers) {
  EXPECT_EQ(PgRepository::open("sqlite://herald.db").error().code, StoreErrc::invalid);
  // Port 1 on loopback: nothing listens there.
  EXPECT_EQ(PgRepository::open("postgres://postgres@127.0.0.1:1/x").error().code, StoreErrc::unavailable);
}

TEST_F(Pg, TextWithANulByteIsRefusedOrNamesNobody) {
  auto repo = open();
  const std::string nul("a\0b", 3);
  auto created = call<CreatedNotification>([&](auto cb) { repo->create_notification(request({nul}), cb); });
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, StoreErrc::invalid);
  EXPECT_EQ(call<notify::User>([&](auto cb) { repo->get_user(nul, cb); }).error().code, StoreErrc::not_found);
  EXPECT_EQ(call<void>([&](auto cb) { repo->acknowledge(nul, "1", clock_.wall_now(), cb); }).error().code,
            StoreErrc::not_found);
  EXPECT_EQ(call<std::int64_t>([&](auto cb) { repo->unread_count(nul, cb); }).value(), 0);
  repo->close();
}

// Two nodes receive the same idempotency key at the same moment: one notification.
TEST_F(Pg, OneIdempotencyKeyOnTwoNodesAtOnceCreatesOne) {
  auto a = open(), b = open();
  for (int round = 0; round < 10; ++round) {
    const std::string key = "key-" + std::to_string(round);
    std::promise<notify::Result<CreatedNotification>> from_a, from_b;
    {
      // Both writers held, then released together: both inserts race.
      WriterGate gate_a(*a), gate_b(*b);
      a->create_notification(request({"u"}, key), [&](auto r) { from_a.set_value(std::move(r)); });
      b->create_notification(request({"u"}, key), [&](auto r) { from_b.set_value(std::move(r)); });
    }
    auto ra = from_a.get_future().get(), rb = from_b.get_future().get();
    ASSERT_TRUE(ra) << ra.error().message;
    ASSERT_TRUE(rb) << rb.error().message;
    EXPECT_EQ(ra->notification.id, rb->notification.id);
    EXPECT_EQ(ra->recipients, rb->recipients);
    EXPECT_NE(ra->replayed, rb->replayed); // exactly one created it
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM notifications"), "10");
  EXPECT_EQ(scalar("SELECT count(*) FROM recipients"), "10");
  a->close();
  b->close();
}

// Every node runs the retry scheduler: a due record goes to exactly one of them.
TEST_F(Pg, DueDeliveriesOnTwoNodesNeverReturnTheSameRecord) {
  auto a = open(), b = open();
  std::vector<std::string> users;
  for (int i = 0; i < 300; ++i)
    users.push_back("user-" + std::to_string(i));
  auto created = call<CreatedNotification>([&](auto cb) { a->create_notification(request(users), cb); });
  ASSERT_TRUE(created) << created.error().message;
  const auto due_at = clock_.wall_now() + seconds(31);
  std::multiset<std::string> seen;
  for (int round = 0; round < 4; ++round) {
    std::promise<notify::Result<std::vector<InboxItem>>> from_a, from_b;
    {
      WriterGate gate_a(*a), gate_b(*b);
      a->due_deliveries(due_at, 100, [&](auto r) { from_a.set_value(std::move(r)); });
      b->due_deliveries(due_at, 100, [&](auto r) { from_b.set_value(std::move(r)); });
    }
    for (auto* p : {&from_a, &from_b}) {
      auto r = p->get_future().get();
      ASSERT_TRUE(r) << r.error().message;
      for (const auto& item : *r) {
        seen.insert(item.recipient.recipient_id);
        // As it was before the claim: process_due decides from these.
        EXPECT_EQ(item.recipient.delivery_status, notify::DeliveryStatus::pending);
        EXPECT_EQ(item.recipient.next_attempt_at, clock_.wall_now() + seconds(30));
      }
    }
  }
  EXPECT_EQ(seen.size(), 300u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 300u); // none twice
  a->close();
  b->close();
}

// A node that claimed records and died: after the lease they are due again for everyone.
TEST_F(Pg, AClaimedRecordIsDueAgainAfterTheLease) {
  PgOptions options;
  options.claim_lease = std::chrono::minutes(1);
  auto dead = open(options), survivor = open(options);
  auto created = call<CreatedNotification>([&](auto cb) { dead->create_notification(request({"u"}), cb); });
  ASSERT_TRUE(created);
  const auto deadline = clock_.wall_now() + seconds(30);
  auto due = [&](PgRepository& repo, core::WallTime now) {
    auto r = call<std::vector<InboxItem>>([&](auto cb) { repo.due_deliveries(now, 10, cb); });
    EXPECT_TRUE(r) << r.error().message;
    return r ? std::move(r).value() : std::vector<InboxItem>{};
  };
  ASSERT_EQ(due(*dead, deadline).size(), 1u);
  dead->close(); // claimed, and never updated
  EXPECT_TRUE(due(*survivor, deadline).empty());
  EXPECT_TRUE(due(*survivor, deadline + seconds(59)).empty());
  auto again = due(*survivor, deadline + seconds(61));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].recipient.recipient_id, created->recipients[0].recipient_id);
  EXPECT_EQ(again[0].recipient.delivery_status, notify::DeliveryStatus::pending);
  EXPECT_EQ(again[0].recipient.next_attempt_at, deadline + seconds(60)); // the lost node's lease
  survivor->close();
}

// A node's writes are read by the other at once (the inbox via another node).
TEST_F(Pg, TwoNodesSeeEachOthersWrites) {
  auto a = open(), b = open();
  auto created = call<CreatedNotification>([&](auto cb) { a->create_notification(request({"u"}), cb); });
  ASSERT_TRUE(created);
  auto page = call<notify::InboxPage>([&](auto cb) {
    b->list_inbox({"u", std::nullopt, 20, std::nullopt}, cb);
  });
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].notification.id, created->notification.id);
  ASSERT_TRUE(call<void>(
      [&](auto cb) { b->acknowledge("u", created->recipients[0].recipient_id, clock_.wall_now(), cb); }));
  a->close();
  b->close();
}

// The server restarts under a running repository: the requests that meet the dead
// session answer unavailable, and the next ones reconnect. Nothing crashes.
TEST_F(Pg, ALostConnectionAnswersUnavailableThenReconnects) {
  auto repo = open();
  ASSERT_TRUE(call<CreatedNotification>([&](auto cb) { repo->create_notification(request({"u"}), cb); }));
  ASSERT_EQ(call<std::int64_t>([&](auto cb) { repo->unread_count("u", cb); }).value(), 1);
  ASSERT_NO_THROW(PgServer::instance().restart());
  auto write_once = [&] {
    return call<CreatedNotification>([&](auto cb) { repo->create_notification(request({"u"}), cb); });
  };
  auto read_once = [&] { return call<std::int64_t>([&](auto cb) { repo->unread_count("u", cb); }); };
  auto first_write = write_once();
  ASSERT_FALSE(first_write);
  EXPECT_EQ(first_write.error().code, StoreErrc::unavailable) << first_write.error().message;
  auto first_read = read_once();
  ASSERT_FALSE(first_read);
  EXPECT_EQ(first_read.error().code, StoreErrc::unavailable) << first_read.error().message;
  auto second_write = write_once();
  ASSERT_TRUE(second_write) << second_write.error().message;
  auto second_read = read_once();
  ASSERT_TRUE(second_read) << second_read.error().message;
  EXPECT_EQ(second_read.value(), 2); // the first notification survived, the failed one was not written
  repo->close();
}

} // namespace
} // namespace herald::store::test
