#include "store/migrations.hpp"

#include "store/connection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace herald::store {
namespace {

// Times are INTEGER milliseconds since the Unix epoch (UTC). Ids are rowids.
constexpr const char* kV1 = R"sql(
CREATE TABLE users (
  id           TEXT PRIMARY KEY NOT NULL,
  username     TEXT NOT NULL DEFAULT '',
  display_name TEXT NOT NULL DEFAULT ''
);

CREATE TABLE user_departments (
  department TEXT NOT NULL,
  user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (department, user_id)
) WITHOUT ROWID;
-- A user's own departments (get_user, replacing the set on upsert).
CREATE INDEX user_departments_by_user ON user_departments(user_id);

CREATE TABLE notification_types (
  id    TEXT PRIMARY KEY NOT NULL,
  name  TEXT NOT NULL,
  icon  TEXT NOT NULL DEFAULT '',
  color TEXT NOT NULL DEFAULT ''
);
INSERT INTO notification_types (id, name, icon, color) VALUES
  ('system',  'System',  'bell',           '#6b7280'),
  ('info',    'Info',    'info',           '#3b82f6'),
  ('success', 'Success', 'check-circle',   '#22c55e'),
  ('warning', 'Warning', 'alert-triangle', '#f59e0b'),
  ('error',   'Error',   'x-circle',       '#ef4444');

CREATE TABLE notifications (
  id                  INTEGER PRIMARY KEY,
  title               TEXT NOT NULL,
  content             TEXT NOT NULL,
  content_html        TEXT NOT NULL,
  type_id             TEXT NOT NULL REFERENCES notification_types(id),
  sender_id           TEXT NOT NULL,
  sender_username     TEXT NOT NULL,
  sender_display_name TEXT NOT NULL,
  created_at          INTEGER NOT NULL,
  idempotency_key     TEXT,
  recipient_count     INTEGER NOT NULL
);
-- Partial: most notifications carry no key, and those then cost no index entry.
CREATE UNIQUE INDEX notifications_idempotency ON notifications(idempotency_key)
  WHERE idempotency_key IS NOT NULL;

CREATE TABLE recipients (
  id              INTEGER PRIMARY KEY,
  notification_id INTEGER NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
  user_id         TEXT NOT NULL REFERENCES users(id),
  -- A copy of notifications.created_at, so that the inbox indexes can order by it.
  created_at      INTEGER NOT NULL,
  status          TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'delivered', 'failed', 'permanent_failure')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  delivered_at    INTEGER,
  read_at         INTEGER,
  UNIQUE (notification_id, user_id)
);
-- The inbox, newest first; keyset pagination walks it from a (created_at, id) cursor.
CREATE INDEX recipients_inbox ON recipients(user_id, created_at DESC, id DESC);
-- Unread only: unread counts, mark_all_read and the unread filter touch no read rows.
CREATE INDEX recipients_unread ON recipients(user_id, created_at DESC, id DESC) WHERE read_at IS NULL;
-- The retry scheduler's due-time query; settled records leave the index.
CREATE INDEX recipients_due ON recipients(next_attempt_at, id)
  WHERE status IN ('pending', 'failed') AND next_attempt_at IS NOT NULL;
-- Redelivery on connect, oldest first.
CREATE INDEX recipients_undelivered ON recipients(user_id, created_at, id)
  WHERE status IN ('pending', 'failed');
)sql";

// v2: recipients.user_id no longer REFERENCES users(id). That foreign key cost a lookup
// in users' text primary key per inserted recipient (~0.5 us, a tenth of the insert),
// and every insert path already guarantees the row: department and broadcast targets
// are selected from users, and explicit users are inserted into users first. SQLite
// cannot drop a constraint, so the table is rebuilt with the same rowids, columns and
// indexes (ids on the wire stay valid).
constexpr const char* kV2 = R"sql(
CREATE TABLE recipients_v2 (
  id              INTEGER PRIMARY KEY,
  notification_id INTEGER NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
  -- Always a users(id): not declared as a foreign key (see above).
  user_id         TEXT NOT NULL,
  -- A copy of notifications.created_at, so that the inbox indexes can order by it.
  created_at      INTEGER NOT NULL,
  status          TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'delivered', 'failed', 'permanent_failure')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  delivered_at    INTEGER,
  read_at         INTEGER,
  UNIQUE (notification_id, user_id)
);
INSERT INTO recipients_v2 (id, notification_id, user_id, created_at, status, attempts, next_attempt_at,
                           delivered_at, read_at)
  SELECT id, notification_id, user_id, created_at, status, attempts, next_attempt_at, delivered_at, read_at
  FROM recipients ORDER BY id;
DROP TABLE recipients;
ALTER TABLE recipients_v2 RENAME TO recipients;
CREATE INDEX recipients_inbox ON recipients(user_id, created_at DESC, id DESC);
CREATE INDEX recipients_unread ON recipients(user_id, created_at DESC, id DESC) WHERE read_at IS NULL;
CREATE INDEX recipients_due ON recipients(next_attempt_at, id)
  WHERE status IN ('pending', 'failed') AND next_attempt_at IS NOT NULL;
CREATE INDEX recipients_undelivered ON recipients(user_id, created_at, id)
  WHERE status IN ('pending', 'failed');
)sql";

// v3: users get a stable integer key, users.key, and recipients and user_departments name
// their user by it instead of the id text. A fan-out's cost is mostly b-tree inserts into
// the user-keyed indexes (inbox, unread, undelivered, the UNIQUE constraint), and integer
// keys are shorter and compare faster; a department's members are read off
// user_departments' primary key in key order, with no lookup in users per member.
// herald-store-bench FanOut (10,000 members, pinned, medians) went from 3.91 us per record
// in v2 to 3.12 us with recipients keyed and v3's status CHECK (see there); keying the
// memberships then took it from 3.86 to 3.17 us on a busier machine (callgrind: 19.0k ->
// 15.5k instructions per record).
// users.key is an INTEGER PRIMARY KEY, an alias of the rowid, which VACUUM never
// renumbers (an implicit rowid may change, and would silently move every record to
// another user); it starts as the old implicit rowid. users.id stays the public id.
// Order matters with foreign_keys=ON, which a transaction cannot switch off:
// v2's user_departments references users(id) ON DELETE CASCADE, so dropping users first
// would delete every membership. The new tables are built beside the old ones, the old ones
// dropped (children first), and the renames rewrite the REFERENCES to users_v3 in
// user_departments (SQLite >= 3.26).
// Recipient ids are unchanged (they are on the wire).
constexpr const char* kV3 = R"sql(
CREATE TABLE users_v3 (
  key          INTEGER PRIMARY KEY,
  id           TEXT NOT NULL UNIQUE,
  username     TEXT NOT NULL DEFAULT '',
  display_name TEXT NOT NULL DEFAULT ''
);
INSERT INTO users_v3 (key, id, username, display_name)
  SELECT rowid, id, username, display_name FROM users ORDER BY rowid;
-- v2 did not enforce that a record's user has a users row: one that lacks it gets it
-- rather than losing its records.
INSERT OR IGNORE INTO users_v3 (id) SELECT DISTINCT user_id FROM recipients ORDER BY user_id;

CREATE TABLE user_departments_v3 (
  department TEXT NOT NULL,
  user_key   INTEGER NOT NULL REFERENCES users_v3(key) ON DELETE CASCADE,
  PRIMARY KEY (department, user_key)
) WITHOUT ROWID;
-- v2 enforced user_departments' foreign key: every membership has its users row.
INSERT INTO user_departments_v3 (department, user_key)
  SELECT d.department, u.key FROM user_departments d JOIN users_v3 u ON u.id = d.user_id
  ORDER BY d.department, u.key;

CREATE TABLE recipients_v3 (
  id              INTEGER PRIMARY KEY,
  notification_id INTEGER NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
  -- Always a users(key): not declared as a foreign key (see v2).
  user_key        INTEGER NOT NULL,
  -- A copy of notifications.created_at, so that the inbox indexes can order by it.
  created_at      INTEGER NOT NULL,
  -- Comparisons, not IN: SQLite builds IN's list of more than two into a temporary
  -- b-tree for each row it checks, near a third of an inserted record's instructions.
  status          TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status = 'pending' OR status = 'delivered' OR status = 'failed'
                         OR status = 'permanent_failure'),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  delivered_at    INTEGER,
  read_at         INTEGER,
  UNIQUE (notification_id, user_key)
);
INSERT INTO recipients_v3 (id, notification_id, user_key, created_at, status, attempts, next_attempt_at,
                           delivered_at, read_at)
  SELECT r.id, r.notification_id, u.key, r.created_at, r.status, r.attempts, r.next_attempt_at,
         r.delivered_at, r.read_at
  FROM recipients r JOIN users_v3 u ON u.id = r.user_id ORDER BY r.id;

DROP TABLE recipients;
DROP TABLE user_departments;
DROP TABLE users;
ALTER TABLE users_v3 RENAME TO users;
ALTER TABLE user_departments_v3 RENAME TO user_departments;
ALTER TABLE recipients_v3 RENAME TO recipients;

-- A user's own departments (get_user, replacing the set on upsert).
CREATE INDEX user_departments_by_user ON user_departments(user_key);
CREATE INDEX recipients_inbox ON recipients(user_key, created_at DESC, id DESC);
CREATE INDEX recipients_unread ON recipients(user_key, created_at DESC, id DESC) WHERE read_at IS NULL;
CREATE INDEX recipients_due ON recipients(next_attempt_at, id)
  WHERE status IN ('pending', 'failed') AND next_attempt_at IS NOT NULL;
CREATE INDEX recipients_undelivered ON recipients(user_key, created_at, id)
  WHERE status IN ('pending', 'failed');
)sql";

constexpr std::array<const char*, 3> kMigrations = {kV1, kV2, kV3};

} // namespace

int latest_schema_version() { return static_cast<int>(kMigrations.size()); }

notify::Result<int> apply_migrations(Connection& conn, int target) {
  auto st = conn.prepare("PRAGMA user_version");
  if (!st) return st.error();
  if (const int rc = st->step(); rc != SQLITE_ROW) return conn.error(rc, "read user_version");
  int version = static_cast<int>(st->int64(0));
  st->reset();
  if (version > latest_schema_version()) {
    return notify::StoreError{notify::StoreErrc::invalid,
                              fmt::format("database schema version {} is newer than this program's {}",
                                          version, latest_schema_version())};
  }
  for (; version < std::min(target, latest_schema_version()); ++version) {
    if (auto r = conn.exec(kMigrations[static_cast<std::size_t>(version)]); !r) return r.error();
    // PRAGMA takes no parameters; the number is ours, not input.
    const std::string bump = fmt::format("PRAGMA user_version = {}", version + 1);
    if (auto r = conn.exec(bump.c_str()); !r) return r.error();
  }
  return version;
}

} // namespace herald::store
