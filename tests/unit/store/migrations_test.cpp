#include "store/connection.hpp"
#include "store/migrations.hpp"
#include "store_fixture.hpp"

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

namespace herald::store::test {
namespace {

class Migrations : public StoreTest {};

TEST_P(Migrations, MigrateIsIdempotent) {
  for (int i = 0; i < 3; ++i) {
    auto v = repo_->migrate();
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_EQ(v.value(), latest_schema_version());
  }
  auto types = call<std::vector<notify::NotificationType>>([&](auto cb) { repo_->list_types(cb); });
  ASSERT_TRUE(types);
  EXPECT_EQ(types->size(), 5u); // the seed rows were not inserted twice
}

TEST_P(Migrations, OpenWithoutMigrationThenMigrate) {
  repo_->close();
  TempDir other;
  SqliteOptions options;
  options.migrate_on_open = false;
  const std::string u = GetParam() == Backing::memory ? "sqlite://:memory:"
                                                      : "sqlite://" + (other.path() / "fresh.db").string();
  auto repo = SqliteRepository::open(u, options);
  ASSERT_TRUE(repo);
  auto types = call<std::vector<notify::NotificationType>>([&](auto cb) { repo.value()->list_types(cb); });
  EXPECT_FALSE(types.ok()); // no tables yet
  auto v = repo.value()->migrate();
  ASSERT_TRUE(v);
  EXPECT_EQ(v.value(), latest_schema_version());
  types = call<std::vector<notify::NotificationType>>([&](auto cb) { repo.value()->list_types(cb); });
  ASSERT_TRUE(types) << types.error().message;
  EXPECT_EQ(types->size(), 5u);
}

INSTANTIATE_TEST_SUITE_P(Backings, Migrations, testing::Values(Backing::memory, Backing::file), backing_name);

TEST(MigrationsFile, ReopenKeepsEverything) {
  TempDir dir;
  const std::string url = "sqlite://" + (dir.path() / "keep.db").string();
  core::ManualClock clock;
  std::string recipient_id;
  {
    auto repo = std::move(SqliteRepository::open(url)).value();
    auto user = call<notify::UpsertUserResult>([&](auto cb) {
      repo->upsert_user({"u1", "ann", "Ann", std::vector<std::string>{"ops"}}, cb);
    });
    ASSERT_TRUE(user);
    ASSERT_TRUE(call<notify::NotificationType>([&](auto cb) {
      repo->create_type({"deploy", "Deploy", "", ""}, cb);
    }));
    notify::CreateNotificationRequest req;
    req.title = "kept";
    req.type_id = "deploy";
    req.targets.departments = {"ops"};
    req.idempotency_key = "k1";
    req.created_at = clock.wall_now();
    auto created = call<notify::CreatedNotification>([&](auto cb) { repo->create_notification(req, cb); });
    ASSERT_TRUE(created);
    recipient_id = created->recipients.at(0).recipient_id;
    repo->close();
  }
  auto repo = std::move(SqliteRepository::open(url)).value();
  EXPECT_EQ(repo->migrate().value(), latest_schema_version());
  auto user = call<notify::User>([&](auto cb) { repo->get_user("u1", cb); });
  ASSERT_TRUE(user);
  EXPECT_EQ(user.value(), (notify::User{"u1", "ann", "Ann", {"ops"}}));
  auto page = call<notify::InboxPage>([&](auto cb) {
    repo->list_inbox({"u1", std::nullopt, 10, std::nullopt}, cb);
  });
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].notification.title, "kept");
  EXPECT_EQ(page->items[0].notification.type.name, "Deploy");
  EXPECT_EQ(page->items[0].recipient.recipient_id, recipient_id);
  // The idempotency key survived too.
  notify::CreateNotificationRequest again;
  again.title = "other";
  again.type_id = "info";
  again.idempotency_key = "k1";
  auto replay = call<notify::CreatedNotification>([&](auto cb) { repo->create_notification(again, cb); });
  ASSERT_TRUE(replay);
  EXPECT_TRUE(replay->replayed);
  EXPECT_EQ(replay->notification.title, "kept");
}

// v1 -> v2 rebuilds recipients without the users foreign key: an existing v1 file opens,
// keeps its records with their ids and states, and the indexes serve the same queries.
TEST(MigrationsFile, V1DatabaseMigratesAndKeepsItsRecords) {
  TempDir dir;
  const std::string path = (dir.path() / "v1.db").string();
  {
    auto conn = std::move(Connection::open(path, {})).value();
    ASSERT_TRUE(conn->exec("BEGIN IMMEDIATE"));
    auto v = apply_migrations(*conn, 1);
    ASSERT_TRUE(v) << v.error().message;
    ASSERT_EQ(v.value(), 1);
    ASSERT_TRUE(conn->exec(
        "INSERT INTO users (id) VALUES ('u1'), ('u2');"
        "INSERT INTO notifications (id, title, content, content_html, type_id, sender_id, sender_username, "
        "sender_display_name, created_at, recipient_count) VALUES (7, 'old', '', '', 'info', 's', 's', 's', "
        "1000, 2);"
        "INSERT INTO recipients (id, notification_id, user_id, created_at, status, next_attempt_at, "
        "delivered_at) "
        "VALUES (40, 7, 'u1', 1000, 'delivered', NULL, 1500), (41, 7, 'u2', 1000, 'pending', 31000, NULL);"
        "COMMIT"));
  }
  auto repo = std::move(SqliteRepository::open("sqlite://" + path)).value();
  EXPECT_EQ(repo->migrate().value(), latest_schema_version());
  auto page = call<notify::InboxPage>([&](auto cb) {
    repo->list_inbox({"u1", std::nullopt, 10, std::nullopt}, cb);
  });
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].recipient.recipient_id, "40");
  EXPECT_EQ(page->items[0].notification.title, "old");
  EXPECT_EQ(page->items[0].recipient.delivery_status, notify::DeliveryStatus::delivered);
  EXPECT_EQ(page->unread_count, 1);
  auto undelivered =
      call<std::vector<notify::InboxItem>>([&](auto cb) { repo->undelivered_for_user("u2", 10, cb); });
  ASSERT_TRUE(undelivered);
  ASSERT_EQ(undelivered->size(), 1u);
  EXPECT_EQ(undelivered->at(0).recipient.recipient_id, "41");
  auto due = call<std::vector<notify::InboxItem>>(
      [&](auto cb) { repo->due_deliveries(core::WallTime{} + std::chrono::seconds(40), 10, cb); });
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 1u);
  // The next records continue after the old ids.
  notify::CreateNotificationRequest req;
  req.title = "new";
  req.type_id = "info";
  req.targets.users = {"u1"};
  auto created = call<notify::CreatedNotification>([&](auto cb) { repo->create_notification(req, cb); });
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->recipients.at(0).recipient_id, "42");
  ASSERT_TRUE(call<void>([&](auto cb) { repo->acknowledge("u2", "41", core::WallTime{}, cb); }));
  repo->close();
  // The rebuilt table has the same indexes and no foreign key to users.
  auto conn = std::move(Connection::open(path, {})).value();
  auto st = conn->prepare("SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema WHERE "
                          "tbl_name = 'recipients' AND type = 'index' ORDER BY name)");
  ASSERT_TRUE(st);
  ASSERT_EQ(st->step(), SQLITE_ROW);
  EXPECT_EQ(st->text(0), "recipients_due,recipients_inbox,recipients_undelivered,recipients_unread,"
                         "sqlite_autoindex_recipients_1");
  auto fk = conn->prepare("SELECT group_concat(\"table\", ',') FROM pragma_foreign_key_list('recipients')");
  ASSERT_TRUE(fk);
  ASSERT_EQ(fk->step(), SQLITE_ROW);
  EXPECT_EQ(fk->text(0), "notifications");
}

TEST(MigrationsFile, RefusesANewerSchema) {
  TempDir dir;
  const std::string path = (dir.path() / "newer.db").string();
  {
    auto conn = std::move(Connection::open(path, {})).value();
    ASSERT_TRUE(conn->exec("PRAGMA user_version = 99"));
  }
  auto repo = SqliteRepository::open("sqlite://" + path);
  ASSERT_FALSE(repo);
  EXPECT_EQ(repo.error().code, notify::StoreErrc::invalid);
}

TEST(MigrationsFile, RejectsOtherUrls) {
  auto repo = SqliteRepository::open("postgres://localhost/herald");
  ASSERT_FALSE(repo);
  EXPECT_EQ(repo.error().code, notify::StoreErrc::invalid);
}

// SPEC 5: nothing committed is lost if the process is killed at any moment. A child
// process commits and then SIGKILLs itself without closing anything (no checkpoint, WAL
// left behind); the parent must find the commit.
TEST(MigrationsFile, CommitSurvivesKill9) {
  TempDir dir;
  const std::string url = "sqlite://" + (dir.path() / "crash.db").string();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto repo = SqliteRepository::open(url);
    if (!repo) _exit(3);
    notify::CreateNotificationRequest req;
    req.title = "survivor";
    req.type_id = "system";
    req.targets.users = {"u1", "u2"};
    req.created_at = core::WallTime{} + std::chrono::hours(500000);
    auto created =
        call<notify::CreatedNotification>([&](auto cb) { repo.value()->create_notification(req, cb); });
    if (!created) _exit(4);
    raise(SIGKILL);
    _exit(5);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  auto repo = std::move(SqliteRepository::open(url)).value();
  auto page = call<notify::InboxPage>([&](auto cb) {
    repo->list_inbox({"u2", std::nullopt, 10, std::nullopt}, cb);
  });
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].notification.title, "survivor");
  EXPECT_EQ(page->items[0].recipient.delivery_status, notify::DeliveryStatus::pending);
}

} // namespace
} // namespace herald::store::test
