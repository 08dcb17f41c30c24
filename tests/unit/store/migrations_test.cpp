#include "store/connection.hpp"
#include "store/migrations.hpp"
#include "store_fixture.hpp"

#include <algorithm>
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

namespace herald::store::test {
namespace {

// SQLite's migrations; PostgreSQL's are tested in pg_test.cpp.
class Migrations : public StoreTest {
protected:
  SqliteRepository& sqlite() { return static_cast<SqliteRepository&>(*repo_); }
};

TEST_P(Migrations, MigrateIsIdempotent) {
  for (int i = 0; i < 3; ++i) {
    auto v = sqlite().migrate();
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
        "INSERT INTO user_departments (department, user_id) VALUES ('ops', 'u2');"
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
  auto u2 = call<notify::User>([&](auto cb) { repo->get_user("u2", cb); });
  ASSERT_TRUE(u2);
  EXPECT_EQ(u2->departments, (std::vector<std::string>{"ops"})); // v3 rebuilt user_departments
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
  // The migrated membership reaches its user through a department.
  notify::CreateNotificationRequest to_ops;
  to_ops.title = "ops";
  to_ops.type_id = "info";
  to_ops.targets.departments = {"ops"};
  auto sent = call<notify::CreatedNotification>([&](auto cb) { repo->create_notification(to_ops, cb); });
  ASSERT_TRUE(sent) << sent.error().message;
  EXPECT_EQ(sent->recipients, (std::vector<notify::RecipientRef>{{"43", "u2"}}));
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
  // v3: the membership names u2 by its key (u2 was the second users row).
  auto dept = conn->prepare("SELECT group_concat(department || ':' || user_key, ',') FROM user_departments");
  ASSERT_TRUE(dept);
  ASSERT_EQ(dept->step(), SQLITE_ROW);
  EXPECT_EQ(dept->text(0), "ops:2");
}

// One column of a query on a raw connection, rows joined by ','.
std::string column(Connection& conn, const std::string& sql) {
  auto st = conn.prepare(sql);
  EXPECT_TRUE(st) << sql;
  if (!st) return "<error>";
  std::string out;
  int rc;
  while ((rc = st->step()) == SQLITE_ROW)
    out += (out.empty() ? "" : ",") + st->text(0);
  EXPECT_EQ(rc, SQLITE_DONE) << sql;
  return out;
}

std::vector<std::string> ids_of(const std::vector<notify::InboxItem>& items) {
  std::vector<std::string> out;
  for (const auto& item : items)
    out.push_back(item.recipient.recipient_id);
  return out;
}

core::WallTime at_ms(std::int64_t ms) { return core::WallTime{} + std::chrono::milliseconds(ms); }

// v2 -> v3 gives recipients an integer user key (users.key) and rebuilds users and
// user_departments: a v2 file keeps its users, memberships (the CASCADE from users must
// not fire), record ids and states, and every query answers as before.
TEST(MigrationsFile, V2DatabaseMigratesToIntegerUserKeys) {
  TempDir dir;
  const std::string path = (dir.path() / "v2.db").string();
  {
    auto conn = std::move(Connection::open(path, {})).value();
    ASSERT_TRUE(conn->exec("BEGIN IMMEDIATE"));
    auto v = apply_migrations(*conn, 2);
    ASSERT_TRUE(v) << v.error().message;
    ASSERT_EQ(v.value(), 2);
    // Users in non-alphabetical order (keys follow the old rowids, not the ids); 'ghost'
    // has records but no users row, which v2 did not enforce.
    ASSERT_TRUE(conn->exec(
        "INSERT INTO users (id, username, display_name) VALUES ('carol', 'c', 'Carol'), ('alice', 'a', "
        "'Alice'), "
        "('bob', 'b', 'Bob'), ('dave', 'd', 'Dave');"
        "INSERT INTO user_departments (department, user_id) VALUES ('ops', 'alice'), ('ops', 'bob'), "
        "('dev', 'bob'), ('dev', 'carol');"
        "INSERT INTO notifications (id, title, content, content_html, type_id, sender_id, sender_username, "
        "sender_display_name, created_at, recipient_count) VALUES "
        "(7, 'n7', '', '', 'info', 's', 's', 's', 1000, 2), (8, 'n8', '', '', 'warning', 's', 's', 's', "
        "2000, 2), "
        "(9, 'n9', '', '', 'error', 's', 's', 's', 3000, 3);"
        "INSERT INTO recipients (id, notification_id, user_id, created_at, status, attempts, "
        "next_attempt_at, "
        "delivered_at, read_at) VALUES "
        "(40, 7, 'alice', 1000, 'delivered', 1, NULL, 1500, 1600),"
        "(41, 7, 'bob', 1000, 'pending', 1, 31000, NULL, NULL),"
        "(42, 8, 'alice', 2000, 'failed', 2, 32000, NULL, NULL),"
        "(43, 8, 'carol', 2000, 'delivered', 1, NULL, 2100, NULL),"
        "(44, 9, 'alice', 3000, 'pending', 0, NULL, NULL, NULL),"
        "(45, 9, 'bob', 3000, 'permanent_failure', 5, NULL, NULL, 3500),"
        "(46, 9, 'ghost', 3000, 'pending', 0, NULL, NULL, NULL);"
        "COMMIT"));
  }
  auto repo = std::move(SqliteRepository::open("sqlite://" + path)).value();
  EXPECT_EQ(repo->migrate().value(), 3);

  // The directory, memberships included.
  auto bob = call<notify::User>([&](auto cb) { repo->get_user("bob", cb); });
  ASSERT_TRUE(bob) << bob.error().message;
  EXPECT_EQ(bob.value(), (notify::User{"bob", "b", "Bob", {"dev", "ops"}}));
  auto alice = call<notify::User>([&](auto cb) { repo->get_user("alice", cb); });
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice.value(), (notify::User{"alice", "a", "Alice", {"ops"}}));
  auto ghost = call<notify::User>([&](auto cb) { repo->get_user("ghost", cb); });
  ASSERT_TRUE(ghost);
  EXPECT_EQ(ghost.value(), (notify::User{"ghost", "", "", {}}));

  // Alice's inbox: newest first, every field of the records kept.
  auto page = call<notify::InboxPage>([&](auto cb) {
    repo->list_inbox({"alice", std::nullopt, 10, {}}, cb);
  });
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_EQ(ids_of(page->items), (std::vector<std::string>{"44", "42", "40"}));
  EXPECT_EQ(page->unread_count, 2);
  ASSERT_EQ(page->items.size(), 3u);
  EXPECT_EQ(page->items[2].recipient,
            (notify::Recipient{"40", "7", "alice", notify::DeliveryStatus::delivered, 1, std::nullopt,
                               at_ms(1500), at_ms(1600)}));
  EXPECT_EQ(page->items[1].recipient, (notify::Recipient{"42", "8", "alice", notify::DeliveryStatus::failed,
                                                         2, at_ms(32000), std::nullopt, std::nullopt}));
  EXPECT_EQ(page->items[1].notification.type.id, "warning");
  // Keyset pages and the read filters.
  auto first = call<notify::InboxPage>([&](auto cb) {
    repo->list_inbox({"alice", std::nullopt, 2, {}}, cb);
  });
  ASSERT_TRUE(first);
  EXPECT_EQ(ids_of(first->items), (std::vector<std::string>{"44", "42"}));
  ASSERT_TRUE(first->next_cursor);
  auto second = call<notify::InboxPage>([&](auto cb) {
    repo->list_inbox({"alice", std::nullopt, 2, first->next_cursor}, cb);
  });
  ASSERT_TRUE(second);
  EXPECT_EQ(ids_of(second->items), (std::vector<std::string>{"40"}));
  EXPECT_FALSE(second->next_cursor);
  auto unread = call<notify::InboxPage>([&](auto cb) { repo->list_inbox({"alice", true, 10, {}}, cb); });
  ASSERT_TRUE(unread);
  EXPECT_EQ(ids_of(unread->items), (std::vector<std::string>{"44", "42"}));
  auto read = call<notify::InboxPage>([&](auto cb) { repo->list_inbox({"alice", false, 10, {}}, cb); });
  ASSERT_TRUE(read);
  EXPECT_EQ(ids_of(read->items), (std::vector<std::string>{"40"}));
  auto bobs = call<notify::InboxPage>([&](auto cb) { repo->list_inbox({"bob", std::nullopt, 10, {}}, cb); });
  ASSERT_TRUE(bobs);
  EXPECT_EQ(ids_of(bobs->items), (std::vector<std::string>{"45", "41"}));
  EXPECT_EQ(bobs->unread_count, 1);
  ASSERT_EQ(bobs->items.size(), 2u);
  EXPECT_EQ(bobs->items[0].recipient.delivery_status, notify::DeliveryStatus::permanent_failure);
  EXPECT_EQ(bobs->items[0].recipient.attempts, 5);
  EXPECT_EQ(bobs->items[0].recipient.read_at, at_ms(3500));
  auto ghosts = call<notify::InboxPage>([&](auto cb) {
    repo->list_inbox({"ghost", std::nullopt, 10, {}}, cb);
  });
  ASSERT_TRUE(ghosts);
  EXPECT_EQ(ids_of(ghosts->items), (std::vector<std::string>{"46"}));
  EXPECT_EQ(call<std::int64_t>([&](auto cb) { repo->unread_count("carol", cb); }).value(), 1);

  // Redelivery (oldest first), the retry scheduler's due records, users to redeliver to.
  auto undelivered =
      call<std::vector<notify::InboxItem>>([&](auto cb) { repo->undelivered_for_user("alice", 10, cb); });
  ASSERT_TRUE(undelivered);
  EXPECT_EQ(ids_of(*undelivered), (std::vector<std::string>{"42", "44"}));
  auto carols =
      call<std::vector<notify::InboxItem>>([&](auto cb) { repo->undelivered_for_user("carol", 10, cb); });
  ASSERT_TRUE(carols);
  EXPECT_TRUE(carols->empty());
  auto due =
      call<std::vector<notify::InboxItem>>([&](auto cb) { repo->due_deliveries(at_ms(40000), 10, cb); });
  ASSERT_TRUE(due);
  EXPECT_EQ(ids_of(*due), (std::vector<std::string>{"41", "42"}));
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ(due->at(0).recipient.user_id, "bob");
  auto users = call<std::vector<std::string>>([&](auto cb) { repo->users_with_undelivered(cb); });
  ASSERT_TRUE(users);
  std::sort(users->begin(), users->end());
  EXPECT_EQ(users.value(), (std::vector<std::string>{"alice", "bob", "ghost"}));

  // Ownership: another user's record is not_found, the owner's is found.
  auto foreign = call<void>([&](auto cb) { repo->acknowledge("carol", "41", at_ms(5000), cb); });
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, notify::StoreErrc::not_found);
  ASSERT_TRUE(call<void>([&](auto cb) { repo->acknowledge("bob", "41", at_ms(5000), cb); }));
  auto not_hers = call<notify::ReadChange>([&](auto cb) { repo->mark_read("alice", "41", at_ms(5000), cb); });
  ASSERT_FALSE(not_hers);
  EXPECT_EQ(not_hers.error().code, notify::StoreErrc::not_found);
  auto marked = call<notify::ReadChange>([&](auto cb) { repo->mark_read("alice", "42", at_ms(5000), cb); });
  ASSERT_TRUE(marked);
  EXPECT_TRUE(marked->changed);
  EXPECT_EQ(call<std::int64_t>([&](auto cb) { repo->unread_count("alice", cb); }).value(), 1);

  // New records continue after the old ids; a department and a broadcast reach the
  // migrated memberships and users, each user once.
  notify::CreateNotificationRequest req;
  req.title = "new";
  req.type_id = "info";
  req.targets.departments = {"ops", "dev"};
  req.created_at = at_ms(4000);
  auto created = call<notify::CreatedNotification>([&](auto cb) { repo->create_notification(req, cb); });
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->recipients,
            (std::vector<notify::RecipientRef>{{"47", "alice"}, {"48", "bob"}, {"49", "carol"}}));
  req.targets = {{"zed", "dave"}, {}, true};
  auto everyone = call<notify::CreatedNotification>([&](auto cb) { repo->create_notification(req, cb); });
  ASSERT_TRUE(everyone) << everyone.error().message;
  EXPECT_EQ(everyone->recipient_count, 6);
  ASSERT_FALSE(everyone->recipients.empty());
  EXPECT_EQ(everyone->recipients[0], (notify::RecipientRef{"50", "zed"}));
  repo->close();

  auto conn = std::move(Connection::open(path, {})).value();
  EXPECT_EQ(column(*conn, "PRAGMA foreign_key_check"), "");
  EXPECT_EQ(column(*conn, "PRAGMA integrity_check"), "ok");
  // Keys are the old rowids; the record without a users row got the next one.
  EXPECT_EQ(column(*conn, "SELECT id || '=' || key FROM users WHERE key <= 5 ORDER BY key"),
            "carol=1,alice=2,bob=3,dave=4,ghost=5");
  EXPECT_EQ(column(*conn, "SELECT count(*) FROM user_departments"), "4");
  // Memberships name their user by key (carol=1, alice=2, bob=3), in primary key order.
  EXPECT_EQ(column(*conn, "SELECT name FROM pragma_table_info('user_departments') ORDER BY cid"),
            "department,user_key");
  EXPECT_EQ(
      column(*conn,
             "SELECT department || ':' || user_key FROM user_departments ORDER BY department, user_key"),
      "dev:1,dev:3,ops:2,ops:3");
  EXPECT_EQ(column(*conn, "SELECT \"table\" || '(' || \"to\" || ') ' || on_delete FROM "
                          "pragma_foreign_key_list('user_departments')"),
            "users(key) CASCADE");
  EXPECT_EQ(column(*conn, "SELECT name FROM pragma_index_info('user_departments_by_user')"), "user_key");
  EXPECT_EQ(column(*conn, "SELECT name FROM pragma_table_info('recipients') WHERE name LIKE 'user%'"),
            "user_key");
  EXPECT_EQ(column(*conn,
                   "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name IN ('recipients', "
                   "'users', 'user_departments') ORDER BY name"),
            "recipients_due,recipients_inbox,recipients_undelivered,recipients_unread,"
            "sqlite_autoindex_recipients_1,sqlite_autoindex_users_1,"
            "user_departments_by_user");
  EXPECT_EQ(column(*conn, "SELECT name FROM sqlite_schema WHERE name LIKE '%_v3'"), "");
  // v3's CHECK on status compares instead of IN, and still admits exactly the four states.
  EXPECT_FALSE(conn->exec("UPDATE recipients SET status = 'bogus' WHERE id = 40"));
  EXPECT_FALSE(conn->exec("UPDATE recipients SET status = 'Pending' WHERE id = 40"));
  for (const char* status : {"pending", "delivered", "failed", "permanent_failure"}) {
    SCOPED_TRACE(status);
    EXPECT_TRUE(
        conn->exec(("UPDATE recipients SET status = '" + std::string(status) + "' WHERE id = 40").c_str()));
  }
  EXPECT_EQ(column(*conn, "SELECT status FROM recipients WHERE id = 40"), "permanent_failure");
  // Deleting a user still takes its memberships along (the CASCADE follows users.key).
  ASSERT_TRUE(conn->exec("DELETE FROM recipients WHERE user_key = 3; DELETE FROM users WHERE id = 'bob'"));
  EXPECT_EQ(
      column(*conn,
             "SELECT department || ':' || user_key FROM user_departments ORDER BY department, user_key"),
      "dev:1,ops:2");
  EXPECT_EQ(column(*conn, "PRAGMA foreign_key_check"), "");
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
