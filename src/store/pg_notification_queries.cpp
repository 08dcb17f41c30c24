#include "store/codec.hpp"
#include "store/pg_connection.hpp"
#include "store/pg_queries.hpp"

#include <optional>

namespace herald::store::queries {

using notify::StoreErrc;
using notify::StoreError;

namespace {

// Inserts the recipient records of notification `id`, each user once, in target order:
// explicit users, then departments, then everyone; one statement per target kind or
// department (a broadcast to 19,000 users is one statement, not 19,000 round trips).
// ON CONFLICT drops a user a later target names again. Ids come from an identity
// sequence, so within this transaction they grow in insertion order.
Result<void> insert_recipients(PgConnection& c, std::int64_t id, const notify::Targets& targets,
                               std::int64_t created_ms, std::optional<std::int64_t> deadline_ms) {
  if (!targets.users.empty()) {
    for (const auto& user : targets.users) {
      if (user.empty()) return StoreError{StoreErrc::invalid, "empty user id in targets"};
    }
    const std::string users = pg_text_array(targets.users);
    // Explicit users may be unknown to the directory yet: they still receive, and get a
    // directory row (every recipient is a users row, and names it by its key). In id
    // order: nodes inserting overlapping users then take their locks in one order, and
    // cannot deadlock on them.
    if (auto r = c.query("INSERT INTO users (id) SELECT id FROM unnest($1::text[]) AS t(id) ORDER BY id "
                         "ON CONFLICT (id) DO NOTHING",
                         PgParams().add(users));
        !r)
      return r.error();
    auto r = c.query("INSERT INTO recipients (notification_id, user_key, created_at, next_attempt_at) "
                     "SELECT $1::bigint, u.key, $2::bigint, $3::bigint "
                     "FROM unnest($4::text[]) WITH ORDINALITY AS t(id, ord) JOIN users u ON u.id = t.id "
                     "ORDER BY t.ord ON CONFLICT DO NOTHING",
                     PgParams().add(id).add(created_ms).add(deadline_ms).add(users));
    if (!r) return r.error();
  }
  for (const auto& dept : targets.departments) {
    auto r = c.query("INSERT INTO recipients (notification_id, user_key, created_at, next_attempt_at) "
                     "SELECT $1::bigint, d.user_key, $2::bigint, $3::bigint FROM user_departments d "
                     "WHERE d.department = $4 ORDER BY d.user_key ON CONFLICT DO NOTHING",
                     PgParams().add(id).add(created_ms).add(deadline_ms).add(dept));
    if (!r) return r.error();
  }
  if (targets.broadcast) {
    auto r = c.query("INSERT INTO recipients (notification_id, user_key, created_at, next_attempt_at) "
                     "SELECT $1::bigint, key, $2::bigint, $3::bigint FROM users ORDER BY key "
                     "ON CONFLICT DO NOTHING",
                     PgParams().add(id).add(created_ms).add(deadline_ms));
    if (!r) return r.error();
  }
  return {};
}

// The recipient records of notification `id`, in insertion (target) order. Each user is
// one lookup by key: a join let the generic plan of this prepared statement, costed for
// the average notification (fan-outs of thousands included), hash all of users for a
// notification to one user (~1 ms, for 10,000 users).
Result<std::vector<notify::RecipientRef>> load_recipients(PgConnection& c, std::int64_t id) {
  auto r = c.query("SELECT r.id, (SELECT u.id FROM users u WHERE u.key = r.user_key) FROM recipients r "
                   "WHERE r.notification_id = $1 ORDER BY r.id",
                   PgParams().add(id));
  if (!r) return r.error();
  std::vector<notify::RecipientRef> out;
  out.reserve(static_cast<std::size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i)
    out.push_back({r->text(i, 0), r->text(i, 1)});
  return out;
}

// The stored result of an earlier create_notification, for an idempotent replay.
Result<notify::CreatedNotification> load_created(PgConnection& c, std::int64_t notification_id) {
  notify::CreatedNotification out;
  out.replayed = true;
  auto r = c.query("SELECT n.title, n.content, n.content_html, n.sender_id, n.sender_username, "
                   "n.sender_display_name, n.created_at, n.recipient_count, t.id, t.name, t.icon, t.color "
                   "FROM notifications n JOIN notification_types t ON t.id = n.type_id WHERE n.id = $1",
                   PgParams().add(notification_id));
  if (!r) return r.error();
  if (r->rows() == 0) return StoreError{StoreErrc::not_found, "no such notification"};
  notify::Notification& n = out.notification;
  n.id = std::to_string(notification_id);
  n.title = r->text(0, 0);
  n.content = r->text(0, 1);
  n.content_html = r->text(0, 2);
  n.sender = {r->text(0, 3), r->text(0, 4), r->text(0, 5)};
  n.created_at = from_ms(r->int64(0, 6));
  out.recipient_count = r->int64(0, 7);
  n.type = {r->text(0, 8), r->text(0, 9), r->text(0, 10), r->text(0, 11)};
  auto recipients = load_recipients(c, notification_id);
  if (!recipients) return recipients.error();
  out.recipients = std::move(recipients).value();
  return out;
}

Result<std::optional<std::int64_t>> find_by_key(PgConnection& c, const std::string& key) {
  auto r = c.query("SELECT id FROM notifications WHERE idempotency_key = $1", PgParams().add(key));
  if (!r) return r.error();
  if (r->rows() == 0) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(r->int64(0, 0));
}

} // namespace

Result<notify::CreatedNotification> create_notification(PgConnection& c,
                                                        const notify::CreateNotificationRequest& r) {
  if (r.idempotency_key) {
    auto found = find_by_key(c, *r.idempotency_key);
    if (!found) return found.error();
    if (*found) return load_created(c, **found);
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
  PgParams params;
  params.add(r.title)
      .add(r.content)
      .add(r.content_html)
      .add(r.type_id)
      .add(r.sender.id)
      .add(r.sender.username)
      .add(r.sender.display_name)
      .add(created_ms);
  if (r.idempotency_key) {
    params.add(*r.idempotency_key);
  } else {
    params.add_null();
  }
  // The same key posted to another node at the same moment: this insert waits for that
  // node's transaction and, once it committed, does nothing; the notification it created
  // is then answered as a replay. One notification either way.
  auto inserted =
      c.query("INSERT INTO notifications (title, content, content_html, type_id, sender_id, "
              "sender_username, sender_display_name, created_at, idempotency_key, recipient_count) "
              "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0) "
              "ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING "
              "RETURNING id",
              params);
  if (!inserted) return inserted.error();
  if (inserted->rows() == 0) {
    auto found = find_by_key(c, *r.idempotency_key);
    if (!found) return found.error();
    if (!*found)
      return StoreError{StoreErrc::unavailable, "idempotency key taken by a vanished notification"};
    return load_created(c, **found);
  }
  const std::int64_t notification_id = inserted->int64(0, 0);
  out.notification.id = std::to_string(notification_id);
  std::optional<std::int64_t> deadline;
  if (r.ack_deadline) deadline = to_ms(*r.ack_deadline);
  if (auto ok = insert_recipients(c, notification_id, r.targets, created_ms, deadline); !ok)
    return ok.error();
  auto recipients = load_recipients(c, notification_id);
  if (!recipients) return recipients.error();
  out.recipients = std::move(recipients).value();
  out.recipient_count = static_cast<std::int64_t>(out.recipients.size());
  if (auto u = c.query("UPDATE notifications SET recipient_count = $2 WHERE id = $1",
                       PgParams().add(notification_id).add(out.recipient_count));
      !u)
    return u.error();
  return out;
}

} // namespace herald::store::queries
