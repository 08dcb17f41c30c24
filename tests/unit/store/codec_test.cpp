#include "store/codec.hpp"
#include "store/connection.hpp"
#include "store/migrations.hpp"
#include "store/sqlite_url.hpp"
#include "store_fixture.hpp"

namespace herald::store::test {
namespace {

TEST(SqliteUrl, Paths) {
  EXPECT_EQ(sqlite_path_from_url("sqlite://herald.db"), "herald.db");
  EXPECT_EQ(sqlite_path_from_url("sqlite://data/herald.db"), "data/herald.db");
  EXPECT_EQ(sqlite_path_from_url("sqlite:///var/lib/herald/h.db"), "/var/lib/herald/h.db");
  EXPECT_EQ(sqlite_path_from_url("sqlite://:memory:"), ":memory:");
  EXPECT_EQ(sqlite_path_from_url("sqlite://"), std::nullopt);
  EXPECT_EQ(sqlite_path_from_url("postgres://u:p@h/db"), std::nullopt);
  EXPECT_EQ(sqlite_path_from_url("herald.db"), std::nullopt);
}

TEST(Codec, Ids) {
  EXPECT_EQ(parse_id("1"), 1);
  EXPECT_EQ(parse_id("9223372036854775807"), INT64_MAX);
  for (const char* bad :
       {"", "0", "01", "-1", "+1", " 1", "1 ", "1a", "9223372036854775808", "99999999999999999999"}) {
    EXPECT_EQ(parse_id(bad), std::nullopt) << bad;
  }
}

TEST(Codec, CursorRoundTrip) {
  const InboxCursor c{1700000000123, 42};
  const auto text = encode_cursor(c);
  const auto back = decode_cursor(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->created_ms, c.created_ms);
  EXPECT_EQ(back->recipient_id, c.recipient_id);
  EXPECT_EQ(decode_cursor("not a cursor"), std::nullopt);
  EXPECT_EQ(decode_cursor(""), std::nullopt);
}

TEST(Codec, TimesAreMilliseconds) {
  const core::WallTime t = core::WallTime{} + std::chrono::nanoseconds(1'700'000'000'123'456'789);
  EXPECT_EQ(to_ms(t), 1'700'000'000'123);
  EXPECT_EQ(from_ms(to_ms(t)), truncate_to_ms(t));
  EXPECT_EQ(from_ms(std::optional<std::int64_t>()), std::nullopt);
}

// A private database at the latest schema; `analyze` gathers statistics of the (empty)
// tables, as a long-lived database would have them.
std::unique_ptr<Connection> migrated_memory_db(bool analyze) {
  auto conn = std::move(Connection::open(":memory:", {})).value();
  EXPECT_TRUE(conn->exec("BEGIN"));
  EXPECT_TRUE(apply_migrations(*conn));
  EXPECT_TRUE(conn->exec(analyze ? "COMMIT; ANALYZE;" : "COMMIT"));
  return conn;
}

// The steps of the plan SQLite chooses for `sql`, one per line.
std::string query_plan(Connection& conn, const std::string& sql) {
  auto st = conn.prepare("EXPLAIN QUERY PLAN " + sql);
  EXPECT_TRUE(st) << st.error().message;
  std::string plan;
  while (st && st->step() == SQLITE_ROW)
    plan += st->text(3) + "\n";
  return plan;
}

// The hot queries walk an index: none of them scans the recipients table.
TEST(QueryPlans, UseTheIndexes) {
  const auto conn = migrated_memory_db(/*analyze=*/true);
  struct Case {
    std::string sql;
    std::string index;
  };
  const std::vector<Case> cases = {
      {"SELECT " HERALD_ITEM_COLUMNS HERALD_ITEM_FROM
       "WHERE r.status IN ('pending', 'failed') AND r.next_attempt_at IS NOT NULL "
       "AND r.next_attempt_at <= 5 ORDER BY r.next_attempt_at, r.id LIMIT 10",
       "recipients_due"},
      {"SELECT " HERALD_ITEM_COLUMNS HERALD_ITEM_FROM
       "WHERE r.user_key = (SELECT key FROM users WHERE id = 'u') AND r.status IN ('pending', 'failed') "
       "ORDER BY r.created_at, r.id LIMIT 10",
       "recipients_undelivered"},
      {"SELECT count(*) FROM recipients WHERE user_key = (SELECT key FROM users WHERE id = 'u') "
       "AND read_at IS NULL",
       "recipients_unread"},
      {"SELECT id FROM notifications WHERE idempotency_key = 'k' AND idempotency_key IS NOT NULL",
       "notifications_idempotency"},
      {"SELECT " HERALD_ITEM_COLUMNS HERALD_ITEM_FROM "WHERE r.user_key = (SELECT key FROM users WHERE id = "
       "'u') AND (r.created_at, r.id) < (5, 6) ORDER BY r.created_at DESC, r.id DESC LIMIT 21",
       "recipients_inbox"},
      {"SELECT " HERALD_ITEM_COLUMNS HERALD_ITEM_FROM "WHERE r.user_key = (SELECT key FROM users WHERE id = "
       "'u') AND r.read_at IS NULL AND (r.created_at, r.id) < (5, 6) ORDER BY r.created_at DESC, r.id DESC "
       "LIMIT 21",
       "recipients_unread"},
      // Schema v3: a user's key is one lookup in users' unique index on id.
      {"SELECT key FROM users WHERE id = 'u'", "sqlite_autoindex_users_1"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.sql);
    const auto plan = query_plan(*conn, c.sql);
    EXPECT_NE(plan.find("INDEX " + c.index + " "), std::string::npos) << plan;
    EXPECT_EQ(plan.find("SCAN "), std::string::npos) << plan;
    EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan; // no sort step
  }
}

// Schema v3's joins to users: records are still found by id (load_recipients reads a
// range of rowids, acknowledge_all one rowid per receipt), users by key or id.
TEST(QueryPlans, RecordsByIdStayByRowid) {
  const auto conn = migrated_memory_db(/*analyze=*/false);
  const std::vector<std::string> cases = {
      "SELECT r.id, u.id FROM recipients r CROSS JOIN users u ON u.key = r.user_key "
      "WHERE r.id > 5 AND +r.notification_id = 7 ORDER BY r.id",
      "UPDATE recipients SET status = 'delivered', delivered_at = COALESCE(delivered_at, a.at), "
      "next_attempt_at = NULL "
      "FROM (SELECT value ->> 0 AS id, value ->> 1 AS user_id, value ->> 2 AS at FROM json_each('[]')) AS a "
      "WHERE recipients.id = a.id AND recipients.user_key = (SELECT key FROM users WHERE id = a.user_id) "
      "RETURNING recipients.id, (SELECT id FROM users WHERE key = recipients.user_key)",
  };
  for (const auto& sql : cases) {
    SCOPED_TRACE(sql);
    const auto plan = query_plan(*conn, sql);
    EXPECT_NE(plan.find("USING INTEGER PRIMARY KEY (rowid"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("SCAN r"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("INDEX recipients_inbox"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
  }
}

// Memberships name their user by key: a department's members are read off
// user_departments' primary key in key order, with no lookup in users per member and no
// sort; a user's own departments come from user_departments_by_user, already sorted.
TEST(QueryPlans, DepartmentsGoThroughTheUserKey) {
  const auto conn = migrated_memory_db(/*analyze=*/true);
  struct Case {
    std::string sql;
    std::string access;
  };
  const std::vector<Case> cases = {
      {"INSERT OR IGNORE INTO recipients (notification_id, user_key, created_at, next_attempt_at) "
       "SELECT 1, d.user_key, 2, 3 FROM user_departments d WHERE d.department = 'ops' ORDER BY d.user_key",
       "SEARCH d USING PRIMARY KEY (department=?)"},
      {"SELECT department FROM user_departments WHERE user_key = 1 ORDER BY department",
       "SEARCH user_departments USING COVERING INDEX user_departments_by_user (user_key=?)"},
      {"DELETE FROM user_departments WHERE user_key = 1",
       "SEARCH user_departments USING COVERING INDEX user_departments_by_user (user_key=?)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.sql);
    const auto plan = query_plan(*conn, c.sql);
    EXPECT_NE(plan.find(c.access), std::string::npos) << plan;
    EXPECT_EQ(plan.find("users"), std::string::npos) << plan; // no join to users
    EXPECT_EQ(plan.find("SCAN "), std::string::npos) << plan;
    EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
  }
}

// Inserting a record and setting its status check the status constraint: with IN over
// four names, SQLite built a temporary b-tree of them for every row (OpenEphemeral).
TEST(QueryPlans, StatusCheckBuildsNoTablePerRecord) {
  const auto conn = migrated_memory_db(/*analyze=*/false);
  for (const std::string sql : {
           "INSERT OR IGNORE INTO recipients (notification_id, user_key, created_at, next_attempt_at) "
           "SELECT 1, key, 2, 3 FROM users ORDER BY key",
           "UPDATE recipients SET status = 'delivered' WHERE id = 1",
       }) {
    SCOPED_TRACE(sql);
    auto st = conn->prepare("EXPLAIN " + sql);
    ASSERT_TRUE(st) << st.error().message;
    std::string ops;
    while (st->step() == SQLITE_ROW)
      ops += st->text(1) + " ";
    EXPECT_NE(ops.find("IdxInsert"), std::string::npos) << ops; // the program was read
    EXPECT_EQ(ops.find("OpenEphemeral"), std::string::npos) << ops;
  }
}

} // namespace
} // namespace herald::store::test
