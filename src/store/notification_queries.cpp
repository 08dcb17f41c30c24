#include "store/codec.hpp"
#include "store/connection.hpp"
#include "store/queries.hpp"

#include <optional>

namespace herald::store::queries {

using notify::StoreErrc;
using notify::StoreError;

namespace {

// Inserts the recipient records of notification `id`, each user once, in target order:
// explicit users, then departments, then everyone. Departments and broadcast are one
// INSERT ... SELECT each (a broadcast to 19,000 users is one statement, not 19,000); the
// UNIQUE (notification_id, user_key) constraint drops a user a later target names again.
Result<void> insert_recipients(Connection& c, std::int64_t id, const notify::Targets& targets,
                               std::int64_t created_ms, std::optional<std::int64_t> deadline_ms) {
  // Explicit users may be unknown to the directory yet: they still receive, and get a
  // directory row (every recipient is a users row, and names it by its key).
  auto ensure = c.prepare("INSERT OR IGNORE INTO users (id) VALUES (?1)");
  if (!ensure) return ensure.error();
  auto one =
      c.prepare("INSERT OR IGNORE INTO recipients (notification_id, user_key, created_at, next_attempt_at) "
                "VALUES (?1, (SELECT key FROM users WHERE id = ?2), ?3, ?4)");
  if (!one) return one.error();
  for (const auto& user : targets.users) {
    if (user.empty()) return StoreError{StoreErrc::invalid, "empty user id in targets"};
    ensure->bind(1, user);
    if (const int rc = ensure->step(); rc != SQLITE_DONE) return c.error(rc, "insert target user");
    ensure->reset();
    one->bind(1, id);
    one->bind(2, user);
    one->bind(3, created_ms);
    one->bind(4, deadline_ms);
    if (const int rc = one->step(); rc != SQLITE_DONE) return c.error(rc, "insert recipient");
    one->reset();
  }
  // ORDER BY user key: the inbox indexes, keyed by user, are then filled in key order.
  auto run_select = [&](const char* sql, const std::string* department) -> Result<void> {
    auto st = c.prepare(sql);
    if (!st) return st.error();
    st->bind(1, id);
    st->bind(2, created_ms);
    st->bind(3, deadline_ms);
    if (department) st->bind(4, *department);
    if (const int rc = st->step(); rc != SQLITE_DONE) return c.error(rc, "insert recipients");
    st->reset();
    return {};
  };
  // A department's members are read off user_departments' primary key (department,
  // user_key), already in key order: no lookup in users per member.
  for (const auto& dept : targets.departments) {
    auto r = run_select(
        "INSERT OR IGNORE INTO recipients (notification_id, user_key, created_at, next_attempt_at) "
        "SELECT ?1, d.user_key, ?2, ?3 FROM user_departments d WHERE d.department = ?4 "
        "ORDER BY d.user_key",
        &dept);
    if (!r) return r.error();
  }
  if (targets.broadcast) {
    auto r = run_select(
        "INSERT OR IGNORE INTO recipients (notification_id, user_key, created_at, next_attempt_at) "
        "SELECT ?1, key, ?2, ?3 FROM users ORDER BY key",
        nullptr);
    if (!r) return r.error();
  }
  return {};
}

// The recipient records of notification `id`, in insertion (target) order. With
// `after_id`, the records were all inserted under this write lock, so their ids are the
// ones above it: a range of the table read in order, with no index and no sort.
Result<std::vector<notify::RecipientRef>> load_recipients(Connection& c, std::int64_t id,
                                                          std::optional<std::int64_t> after_id) {
  // CROSS JOIN keeps recipients the outer loop: each user is then one lookup by key.
  auto st = after_id
                ? c.prepare("SELECT r.id, u.id FROM recipients r CROSS JOIN users u ON u.key = r.user_key "
                            "WHERE r.id > ?2 AND +r.notification_id = ?1 ORDER BY r.id")
                : c.prepare("SELECT r.id, u.id FROM recipients r CROSS JOIN users u ON u.key = r.user_key "
                            "WHERE r.notification_id = ?1 ORDER BY r.id");
  if (!st) return st.error();
  st->bind(1, id);
  if (after_id) st->bind(2, *after_id);
  std::vector<notify::RecipientRef> out;
  int rc;
  while ((rc = st->step()) == SQLITE_ROW)
    out.push_back({std::to_string(st->int64(0)), st->text(1)});
  if (rc != SQLITE_DONE) return c.error(rc, "load recipients");
  st->reset();
  return out;
}

// The stored result of an earlier create_notification, for an idempotent replay.
Result<notify::CreatedNotification> load_created(Connection& c, std::int64_t notification_id) {
  notify::CreatedNotification out;
  out.replayed = true;
  {
    auto st =
        c.prepare("SELECT n.title, n.content, n.content_html, n.sender_id, n.sender_username, "
                  "n.sender_display_name, n.created_at, n.recipient_count, t.id, t.name, t.icon, t.color "
                  "FROM notifications n JOIN notification_types t ON t.id = n.type_id WHERE n.id = ?1");
    if (!st) return st.error();
    st->bind(1, notification_id);
    const int rc = st->step();
    if (rc == SQLITE_DONE) return StoreError{StoreErrc::not_found, "no such notification"};
    if (rc != SQLITE_ROW) return c.error(rc, "load notification");
    notify::Notification& n = out.notification;
    n.id = std::to_string(notification_id);
    n.title = st->text(0);
    n.content = st->text(1);
    n.content_html = st->text(2);
    n.sender = {st->text(3), st->text(4), st->text(5)};
    n.created_at = from_ms(st->int64(6));
    out.recipient_count = st->int64(7);
    n.type = {st->text(8), st->text(9), st->text(10), st->text(11)};
  }
  auto recipients = load_recipients(c, notification_id, std::nullopt);
  if (!recipients) return recipients.error();
  out.recipients = std::move(recipients).value();
  return out;
}

} // namespace

Result<notify::CreatedNotification> create_notification(Connection& c,
                                                        const notify::CreateNotificationRequest& r) {
  if (r.idempotency_key) {
    // "IS NOT NULL" lets SQLite use the partial unique index.
    auto st =
        c.prepare("SELECT id FROM notifications WHERE idempotency_key = ?1 AND idempotency_key IS NOT NULL");
    if (!st) return st.error();
    st->bind(1, *r.idempotency_key);
    const int rc = st->step();
    if (rc == SQLITE_ROW) {
      const std::int64_t id = st->int64(0);
      st->reset();
      return load_created(c, id);
    }
    if (rc != SQLITE_DONE) return c.error(rc, "idempotency check");
  }
  auto type = get_type(c, r.type_id);
  if (!type) {
    if (type.error().code == StoreErrc::not_found) {
      return StoreError{StoreErrc::invalid, "unknown notification type '" + r.type_id + "'"};
    }
    return type.error();
  }
  const std::int64_t created_ms = to_ms(r.created_at);
  notify::CreatedNotification out;
  out.notification = {
      {}, r.title, r.content, r.content_html, std::move(type).value(), r.sender, from_ms(created_ms)};
  {
    auto st = c.prepare("INSERT INTO notifications (title, content, content_html, type_id, sender_id, "
                        "sender_username, sender_display_name, created_at, idempotency_key, recipient_count) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0)");
    if (!st) return st.error();
    st->bind(1, r.title);
    st->bind(2, r.content);
    st->bind(3, r.content_html);
    st->bind(4, r.type_id);
    st->bind(5, r.sender.id);
    st->bind(6, r.sender.username);
    st->bind(7, r.sender.display_name);
    st->bind(8, created_ms);
    if (r.idempotency_key) st->bind(9, *r.idempotency_key);
    if (const int rc = st->step(); rc != SQLITE_DONE) return c.error(rc, "insert notification");
  }
  const std::int64_t notification_id = c.last_insert_rowid();
  out.notification.id = std::to_string(notification_id);

  std::int64_t last_id_before = 0;
  {
    auto st = c.prepare("SELECT coalesce(max(id), 0) FROM recipients");
    if (!st) return st.error();
    if (const int rc = st->step(); rc != SQLITE_ROW) return c.error(rc, "last recipient id");
    last_id_before = st->int64(0);
    st->reset();
  }
  std::optional<std::int64_t> deadline;
  if (r.ack_deadline) deadline = to_ms(*r.ack_deadline);
  if (auto inserted = insert_recipients(c, notification_id, r.targets, created_ms, deadline); !inserted)
    return inserted.error();
  auto recipients = load_recipients(c, notification_id, last_id_before);
  if (!recipients) return recipients.error();
  out.recipients = std::move(recipients).value();
  out.recipient_count = static_cast<std::int64_t>(out.recipients.size());
  {
    auto st = c.prepare("UPDATE notifications SET recipient_count = ?2 WHERE id = ?1");
    if (!st) return st.error();
    st->bind(1, notification_id);
    st->bind(2, out.recipient_count);
    if (const int rc = st->step(); rc != SQLITE_DONE) return c.error(rc, "count recipients");
  }
  return out;
}

} // namespace herald::store::queries
