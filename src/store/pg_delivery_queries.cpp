#include "store/codec.hpp"
#include "store/pg_connection.hpp"
#include "store/pg_item.hpp"
#include "store/pg_queries.hpp"

#include <algorithm>
#include <unordered_map>

namespace herald::store::queries {

using notify::DeliveryStatus;
using notify::StoreErrc;
using notify::StoreError;

namespace {

constexpr int kMaxRows = 10000;

StoreError no_record() { return StoreError{StoreErrc::not_found, "no such recipient record"}; }

std::string bigint_array(const std::vector<std::int64_t>& values) {
  std::string out = "{";
  for (const auto v : values) {
    if (out.size() > 1) out += ',';
    out += std::to_string(v);
  }
  out += '}';
  return out;
}

} // namespace

Result<void> acknowledge(PgConnection& c, const std::string& user_id, const std::string& recipient_id,
                         core::WallTime at) {
  const auto id = parse_id(recipient_id);
  // No stored user id holds a NUL byte: such a user owns nothing.
  if (!id || user_id.find('\0') != std::string::npos) return no_record();
  // An ack of a delivered record matches the row and changes nothing: the first
  // delivered_at stays, and the call succeeds (idempotent).
  auto r =
      c.query("UPDATE recipients SET status = 'delivered', delivered_at = COALESCE(delivered_at, $3), "
              "next_attempt_at = NULL WHERE id = $1 AND user_key = (SELECT key FROM users WHERE id = $2)",
              PgParams().add(*id).add(user_id).add(to_ms(at)));
  if (!r) return r.error();
  if (r->affected() == 0) return no_record();
  return {};
}

Result<std::vector<bool>> acknowledge_all(PgConnection& c, const std::vector<Receipt>& receipts) {
  // The receipts go in as three parallel arrays: one statement, one round trip.
  std::vector<std::int64_t> ids_in, at_in;
  std::vector<std::string> users_in;
  std::vector<std::optional<std::int64_t>> ids;
  ids.reserve(receipts.size());
  // A repeated receipt (same record and user) is left out: with several matches the
  // UPDATE would take any one's time, and the first delivered_at must stay.
  std::unordered_map<std::int64_t, std::string_view> first_user;
  for (const auto& r : receipts) {
    ids.push_back(parse_id(r.recipient_id));
    if (!ids.back() || r.user_id.find('\0') != std::string_view::npos) continue;
    if (const auto [it, added] = first_user.try_emplace(*ids.back(), r.user_id);
        !added && it->second == r.user_id)
      continue;
    ids_in.push_back(*ids.back());
    users_in.emplace_back(r.user_id);
    at_in.push_back(to_ms(r.at));
  }
  std::unordered_map<std::int64_t, std::string> owner;
  if (!ids_in.empty()) {
    // As in acknowledge: the first delivered_at stays. RETURNING names the records that
    // matched id and user; the other receipts are not_found.
    auto rows = c.query(
        "UPDATE recipients r SET status = 'delivered', delivered_at = COALESCE(r.delivered_at, a.at), "
        "next_attempt_at = NULL "
        "FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS a(id, user_id, at) "
        "JOIN users u ON u.id = a.user_id "
        "WHERE r.id = a.id AND r.user_key = u.key RETURNING r.id, u.id",
        PgParams().add(bigint_array(ids_in)).add(pg_text_array(users_in)).add(bigint_array(at_in)));
    if (!rows) return rows.error();
    for (int i = 0; i < rows->rows(); ++i)
      owner.emplace(rows->int64(i, 0), rows->text(i, 1));
  }
  std::vector<bool> found;
  found.reserve(receipts.size());
  for (std::size_t i = 0; i < receipts.size(); ++i) {
    const auto it = ids[i] ? owner.find(*ids[i]) : owner.end();
    found.push_back(it != owner.end() && it->second == receipts[i].user_id);
  }
  return found;
}

Result<std::int64_t> record_sent(PgConnection& c, const std::vector<std::string>& recipient_ids,
                                 core::WallTime ack_deadline) {
  std::vector<std::int64_t> ids;
  for (const auto& text : recipient_ids) {
    if (const auto id = parse_id(text)) ids.push_back(*id);
  }
  if (ids.empty()) return std::int64_t{0};
  auto r = c.query("UPDATE recipients SET attempts = attempts + 1, status = 'pending', next_attempt_at = $2 "
                   "WHERE id = ANY($1::bigint[]) AND status <> 'delivered'",
                   PgParams().add(bigint_array(ids)).add(to_ms(ack_deadline)));
  if (!r) return r.error();
  return r->affected();
}

// Several nodes share the database and each runs the retry scheduler, so a due record
// must go to exactly one of them. The due rows are locked FOR UPDATE SKIP LOCKED (a row
// another node is claiming right now is skipped, not waited for) and their next_attempt_at
// is moved to now + lease in the same statement: once this transaction commits, no other
// node finds them due. The rows are answered as they were before the claim (status,
// attempts, next_attempt_at), so Service::process_due decides exactly as on SQLite:
// mark_failed computes the retry time from the missed deadline, and its update_delivery or
// record_sent then replaces the lease with the real next_attempt_at. A node that dies
// between the claim and that update leaves the lease behind, and the record is due again
// for every node when it expires: a retry late by at most the lease, never lost.
Result<std::vector<notify::InboxItem>> claim_due_deliveries(PgConnection& c, core::WallTime now, int limit,
                                                            std::chrono::milliseconds lease) {
  // The due CTE repeats recipients_due's condition, so the scan walks that index in
  // due-time order and stops after `limit` rows. The claimed CTE runs to completion
  // although nothing reads it (PostgreSQL runs every data-modifying WITH exactly once),
  // and the main query reads the rows as due locked them: before the claim.
  auto rows = c.query(
      "WITH due AS (SELECT id, notification_id, user_key, status, attempts, next_attempt_at, delivered_at, "
      "read_at FROM recipients WHERE status IN ('pending', 'failed') AND next_attempt_at IS NOT NULL "
      "AND next_attempt_at <= $1::bigint ORDER BY next_attempt_at, id LIMIT $2::bigint FOR UPDATE SKIP "
      "LOCKED), "
      "claimed AS (UPDATE recipients c SET next_attempt_at = $3::bigint FROM due WHERE c.id = due.id) "
      "SELECT " HERALD_ITEM_COLUMNS " FROM due r "
      "JOIN users u ON u.key = r.user_key JOIN notifications n ON n.id = r.notification_id "
      "JOIN notification_types t ON t.id = n.type_id ORDER BY r.next_attempt_at, r.id",
      PgParams().add(to_ms(now)).add(std::int64_t{std::clamp(limit, 0, kMaxRows)}).add(to_ms(now + lease)));
  if (!rows) return rows.error();
  return read_pg_items(*rows);
}

Result<bool> update_delivery(PgConnection& c, const std::string& recipient_id, DeliveryStatus status,
                             std::optional<core::WallTime> next_attempt_at) {
  if (status == DeliveryStatus::delivered) {
    return StoreError{StoreErrc::invalid, "delivered is set by acknowledge, which records delivered_at"};
  }
  const auto id = parse_id(recipient_id);
  if (!id) return no_record();
  std::optional<std::int64_t> next;
  if (next_attempt_at) next = to_ms(*next_attempt_at);
  // A receipt that arrived while the scheduler decided wins: delivered is never undone.
  auto r = c.query(
      "UPDATE recipients SET status = $2, next_attempt_at = $3 WHERE id = $1 AND status <> 'delivered'",
      PgParams().add(*id).add(to_string(status)).add(next));
  if (!r) return r.error();
  if (r->affected() > 0) return true;
  // Nothing changed: either delivered (fine) or no such record.
  auto exists = c.query("SELECT 1 FROM recipients WHERE id = $1", PgParams().add(*id));
  if (!exists) return exists.error();
  if (exists->rows() > 0) return false;
  return no_record();
}

Result<std::vector<notify::InboxItem>> undelivered_for_user(PgConnection& c, const std::string& user_id,
                                                            int limit) {
  if (user_id.find('\0') != std::string::npos) return std::vector<notify::InboxItem>{};
  auto rows = c.query("SELECT " HERALD_ITEM_COLUMNS HERALD_ITEM_FROM
                      "WHERE r.user_key = (SELECT key FROM users WHERE id = $1) "
                      "AND r.status IN ('pending', 'failed') ORDER BY r.created_at, r.id LIMIT $2",
                      PgParams().add(user_id).add(std::int64_t{std::clamp(limit, 0, kMaxRows)}));
  if (!rows) return rows.error();
  return read_pg_items(*rows);
}

Result<std::vector<std::string>> users_with_undelivered(PgConnection& c) {
  auto rows = c.query("SELECT u.id FROM (SELECT DISTINCT user_key FROM recipients "
                      "WHERE status IN ('pending', 'failed')) AS k JOIN users u ON u.key = k.user_key");
  if (!rows) return rows.error();
  std::vector<std::string> users;
  users.reserve(static_cast<std::size_t>(rows->rows()));
  for (int i = 0; i < rows->rows(); ++i)
    users.push_back(rows->text(i, 0));
  return users;
}

} // namespace herald::store::queries
