#include "store/codec.hpp"
#include "store/connection.hpp"
#include "store/queries.hpp"

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <unordered_map>

namespace herald::store::queries {

using notify::DeliveryStatus;
using notify::StoreErrc;
using notify::StoreError;

namespace {

constexpr int kMaxRows = 10000;

Result<std::vector<notify::InboxItem>> read_items(Connection& c, Statement& st, const char* what) {
  std::vector<notify::InboxItem> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW)
    out.push_back(read_item(st));
  if (rc != SQLITE_DONE) return c.error(rc, what);
  return out;
}

} // namespace

Result<void> acknowledge(Connection& c, const std::string& user_id, const std::string& recipient_id,
                         core::WallTime at) {
  const auto id = parse_id(recipient_id);
  if (!id) return StoreError{StoreErrc::not_found, "no such recipient record"};
  // An ack of a delivered record matches the row and changes nothing: the first
  // delivered_at stays, and the call succeeds (idempotent).
  auto st =
      c.prepare("UPDATE recipients SET status = 'delivered', delivered_at = COALESCE(delivered_at, ?3), "
                "next_attempt_at = NULL WHERE id = ?1 AND user_key = (SELECT key FROM users WHERE id = ?2)");
  if (!st) return st.error();
  st->bind(1, *id);
  st->bind(2, user_id);
  st->bind(3, to_ms(at));
  if (const int rc = st->step(); rc != SQLITE_DONE) return c.error(rc, "acknowledge");
  if (c.changes() == 0) return StoreError{StoreErrc::not_found, "no such recipient record"};
  return {};
}

Result<std::vector<bool>> acknowledge_all(Connection& c, const std::vector<Receipt>& receipts) {
  // The receipts go in as one JSON array of [id, user, at]: one statement opens its
  // cursors once and steps once, where a statement per receipt paid that each time.
  std::string json = "[";
  std::vector<std::optional<std::int64_t>> ids;
  ids.reserve(receipts.size());
  // A repeated receipt (same record and user) is left out: with several matches SQLite
  // would take any one's time, and the first delivered_at must stay.
  std::unordered_map<std::int64_t, std::string_view> first_user;
  std::vector<std::size_t> singles;
  for (const auto& r : receipts) {
    ids.push_back(parse_id(r.recipient_id));
    if (!ids.back()) continue;
    // SQLite's JSON text ends at an escaped NUL: such a user id takes the one-by-one UPDATE.
    if (r.user_id.find('\0') != std::string_view::npos) {
      singles.push_back(ids.size() - 1);
      continue;
    }
    if (const auto [it, added] = first_user.try_emplace(*ids.back(), r.user_id);
        !added && it->second == r.user_id)
      continue;
    if (json.size() > 1) json += ',';
    fmt::format_to(std::back_inserter(json), "[{},{},{}]", *ids.back(),
                   boost::json::serialize(boost::json::string_view(r.user_id.data(), r.user_id.size())),
                   to_ms(r.at));
  }
  json += ']';
  // As in acknowledge: the first delivered_at stays. RETURNING names the records that
  // matched id and user; the other receipts are not_found. RETURNING may not name the
  // FROM tables, so the owner's id is looked up by key there.
  auto st = c.prepare(
      "UPDATE recipients SET status = 'delivered', delivered_at = COALESCE(delivered_at, a.at), "
      "next_attempt_at = NULL "
      "FROM (SELECT value ->> 0 AS id, value ->> 1 AS user_id, value ->> 2 AS at FROM json_each(?1)) AS a "
      "WHERE recipients.id = a.id AND recipients.user_key = (SELECT key FROM users WHERE id = a.user_id) "
      "RETURNING recipients.id, (SELECT id FROM users WHERE key = recipients.user_key)");
  if (!st) return st.error();
  st->bind(1, json);
  std::unordered_map<std::int64_t, std::string> owner;
  int rc;
  while ((rc = st->step()) == SQLITE_ROW)
    owner.emplace(st->int64(0), st->text(1));
  if (rc != SQLITE_DONE) return c.error(rc, "acknowledge");
  std::vector<bool> found;
  found.reserve(receipts.size());
  for (std::size_t i = 0; i < receipts.size(); ++i) {
    const auto it = ids[i] ? owner.find(*ids[i]) : owner.end();
    found.push_back(it != owner.end() && it->second == receipts[i].user_id);
  }
  for (const std::size_t i : singles) {
    const auto& r = receipts[i];
    auto one = acknowledge(c, std::string(r.user_id), std::string(r.recipient_id), r.at);
    if (!one && one.error().code != StoreErrc::not_found) return one.error();
    found[i] = one.ok();
  }
  return found;
}

Result<std::int64_t> record_sent(Connection& c, const std::vector<std::string>& recipient_ids,
                                 core::WallTime ack_deadline) {
  auto st =
      c.prepare("UPDATE recipients SET attempts = attempts + 1, status = 'pending', next_attempt_at = ?2 "
                "WHERE id = ?1 AND status <> 'delivered'");
  if (!st) return st.error();
  const std::int64_t deadline = to_ms(ack_deadline);
  std::int64_t updated = 0;
  for (const auto& text : recipient_ids) {
    const auto id = parse_id(text);
    if (!id) continue;
    st->bind(1, *id);
    st->bind(2, deadline);
    if (const int rc = st->step(); rc != SQLITE_DONE) return c.error(rc, "record sent");
    updated += c.changes();
    st->reset();
  }
  return updated;
}

Result<std::vector<notify::InboxItem>> due_deliveries(Connection& c, core::WallTime now, int limit) {
  // The WHERE repeats the partial index's condition word for word, so SQLite walks
  // recipients_due in due-time order and stops after `limit` rows: no scan.
  auto st = c.prepare("SELECT " HERALD_ITEM_COLUMNS HERALD_ITEM_FROM
                      "WHERE r.status IN ('pending', 'failed') AND r.next_attempt_at IS NOT NULL "
                      "AND r.next_attempt_at <= ?1 ORDER BY r.next_attempt_at, r.id LIMIT ?2");
  if (!st) return st.error();
  st->bind(1, to_ms(now));
  st->bind(2, std::int64_t{std::clamp(limit, 0, kMaxRows)});
  return read_items(c, *st, "due deliveries");
}

Result<bool> update_delivery(Connection& c, const std::string& recipient_id, DeliveryStatus status,
                             std::optional<core::WallTime> next_attempt_at) {
  if (status == DeliveryStatus::delivered) {
    return StoreError{StoreErrc::invalid, "delivered is set by acknowledge, which records delivered_at"};
  }
  const auto id = parse_id(recipient_id);
  if (!id) return StoreError{StoreErrc::not_found, "no such recipient record"};
  // A receipt that arrived while the scheduler decided wins: delivered is never undone.
  auto st = c.prepare(
      "UPDATE recipients SET status = ?2, next_attempt_at = ?3 WHERE id = ?1 AND status <> 'delivered'");
  if (!st) return st.error();
  st->bind(1, *id);
  st->bind(2, to_string(status));
  std::optional<std::int64_t> next;
  if (next_attempt_at) next = to_ms(*next_attempt_at);
  st->bind(3, next);
  if (const int rc = st->step(); rc != SQLITE_DONE) return c.error(rc, "update delivery");
  if (c.changes() > 0) return true;
  // Nothing changed: either delivered (fine) or no such record.
  auto exists = c.prepare("SELECT 1 FROM recipients WHERE id = ?1");
  if (!exists) return exists.error();
  exists->bind(1, *id);
  const int rc = exists->step();
  if (rc == SQLITE_ROW) return false;
  if (rc == SQLITE_DONE) return StoreError{StoreErrc::not_found, "no such recipient record"};
  return c.error(rc, "update delivery");
}

Result<std::vector<notify::InboxItem>> undelivered_for_user(Connection& c, const std::string& user_id,
                                                            int limit) {
  auto st = c.prepare("SELECT " HERALD_ITEM_COLUMNS HERALD_ITEM_FROM
                      "WHERE r.user_key = (SELECT key FROM users WHERE id = ?1) "
                      "AND r.status IN ('pending', 'failed') "
                      "ORDER BY r.created_at, r.id LIMIT ?2");
  if (!st) return st.error();
  st->bind(1, user_id);
  st->bind(2, std::int64_t{std::clamp(limit, 0, kMaxRows)});
  return read_items(c, *st, "undelivered for user");
}

Result<std::vector<std::string>> users_with_undelivered(Connection& c) {
  // Walks the partial index of undelivered records, which is ordered by user key: each
  // distinct key is then one lookup in users.
  auto st = c.prepare("SELECT u.id FROM (SELECT DISTINCT user_key FROM recipients "
                      "WHERE status IN ('pending', 'failed')) AS k JOIN users u ON u.key = k.user_key");
  if (!st) return st.error();
  std::vector<std::string> users;
  int rc;
  while ((rc = st->step()) == SQLITE_ROW)
    users.push_back(st->text(0));
  if (rc != SQLITE_DONE) return c.error(rc, "users with undelivered records");
  return users;
}

} // namespace herald::store::queries
