#include "store/codec.hpp"
#include "store/connection.hpp"
#include "store/queries.hpp"

#include <unordered_set>

namespace herald::store::queries {

using notify::StoreErrc;
using notify::StoreError;

namespace {

// The recipients of a notification, each user once, in target order.
class RecipientSet {
public:
  void add(std::string user_id) {
    if (seen_.insert(user_id).second) users_.push_back(std::move(user_id));
  }
  const std::vector<std::string>& users() const { return users_; }

private:
  std::unordered_set<std::string> seen_;
  std::vector<std::string> users_;
};

// Collects the users of a single-column query bound to `param` (nullptr: none).
Result<void> add_users(Connection& c, RecipientSet& set, const char* sql, const std::string* param) {
  auto st = c.prepare(sql);
  if (!st) return st.error();
  if (param) st->bind(1, *param);
  int rc;
  while ((rc = st->step()) == SQLITE_ROW)
    set.add(st->text(0));
  if (rc != SQLITE_DONE) return c.error(rc, "resolve recipients");
  return {};
}

Result<RecipientSet> resolve(Connection& c, const notify::Targets& targets) {
  RecipientSet set;
  // Explicit users may be unknown to the directory yet: they still receive, and get a
  // directory row so that the recipients' foreign key holds.
  auto ensure = c.prepare("INSERT OR IGNORE INTO users (id) VALUES (?1)");
  if (!ensure) return ensure.error();
  for (const auto& user : targets.users) {
    if (user.empty()) return StoreError{StoreErrc::invalid, "empty user id in targets"};
    ensure->bind(1, user);
    if (const int rc = ensure->step(); rc != SQLITE_DONE) return c.error(rc, "insert target user");
    ensure->reset();
    set.add(user);
  }
  for (const auto& dept : targets.departments) {
    auto r = add_users(c, set, "SELECT user_id FROM user_departments WHERE department = ?1 ORDER BY user_id",
                       &dept);
    if (!r) return r.error();
  }
  if (targets.broadcast) {
    if (auto r = add_users(c, set, "SELECT id FROM users ORDER BY id", nullptr); !r) return r.error();
  }
  return set;
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
  auto st = c.prepare("SELECT id, user_id FROM recipients WHERE notification_id = ?1 ORDER BY id");
  if (!st) return st.error();
  st->bind(1, notification_id);
  int rc;
  while ((rc = st->step()) == SQLITE_ROW)
    out.recipients.push_back({std::to_string(st->int64(0)), st->text(1)});
  if (rc != SQLITE_DONE) return c.error(rc, "load recipients");
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
  auto set = resolve(c, r.targets);
  if (!set) return set.error();
  const auto& users = set->users();

  const std::int64_t created_ms = to_ms(r.created_at);
  notify::CreatedNotification out;
  out.notification = {
      {}, r.title, r.content, r.content_html, std::move(type).value(), r.sender, from_ms(created_ms)};
  out.recipient_count = static_cast<std::int64_t>(users.size());
  {
    auto st = c.prepare("INSERT INTO notifications (title, content, content_html, type_id, sender_id, "
                        "sender_username, sender_display_name, created_at, idempotency_key, recipient_count) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
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
    st->bind(10, out.recipient_count);
    if (const int rc = st->step(); rc != SQLITE_DONE) return c.error(rc, "insert notification");
  }
  const std::int64_t notification_id = c.last_insert_rowid();
  out.notification.id = std::to_string(notification_id);

  // The hot path (10,000 recipients in one call): one prepared statement, rebound per row.
  auto ins = c.prepare("INSERT INTO recipients (notification_id, user_id, created_at, next_attempt_at) "
                       "VALUES (?1, ?2, ?3, ?4)");
  if (!ins) return ins.error();
  std::optional<std::int64_t> deadline;
  if (r.ack_deadline) deadline = to_ms(*r.ack_deadline);
  out.recipients.reserve(users.size());
  for (const auto& user : users) {
    ins->bind(1, notification_id);
    ins->bind(2, user);
    ins->bind(3, created_ms);
    ins->bind(4, deadline);
    if (const int rc = ins->step(); rc != SQLITE_DONE) return c.error(rc, "insert recipient");
    ins->reset();
    out.recipients.push_back({std::to_string(c.last_insert_rowid()), user});
  }
  return out;
}

} // namespace herald::store::queries
