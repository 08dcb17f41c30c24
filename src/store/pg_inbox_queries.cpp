#include "store/codec.hpp"
#include "store/pg_connection.hpp"
#include "store/pg_item.hpp"
#include "store/pg_queries.hpp"

#include <algorithm>
#include <array>

namespace herald::store {

notify::InboxItem read_pg_item(const PgResult& rows, int i) {
  notify::InboxItem item;
  notify::Recipient& r = item.recipient;
  r.recipient_id = rows.text(i, 0);
  r.notification_id = rows.text(i, 1);
  r.user_id = rows.text(i, 2);
  // The CHECK constraint allows only the four names, so the fallback is never taken.
  r.delivery_status =
      notify::delivery_status_from_string(rows.text(i, 3)).value_or(notify::DeliveryStatus::pending);
  r.attempts = static_cast<int>(rows.int64(i, 4));
  r.next_attempt_at = from_ms(rows.optional_int64(i, 5));
  r.delivered_at = from_ms(rows.optional_int64(i, 6));
  r.read_at = from_ms(rows.optional_int64(i, 7));
  notify::Notification& n = item.notification;
  n.id = r.notification_id;
  n.title = rows.text(i, 8);
  n.content = rows.text(i, 9);
  n.content_html = rows.text(i, 10);
  n.sender = {rows.text(i, 11), rows.text(i, 12), rows.text(i, 13)};
  n.created_at = from_ms(rows.int64(i, 14));
  n.type = {rows.text(i, 15), rows.text(i, 16), rows.text(i, 17), rows.text(i, 18)};
  return item;
}

std::vector<notify::InboxItem> read_pg_items(const PgResult& rows) {
  std::vector<notify::InboxItem> out;
  out.reserve(static_cast<std::size_t>(rows.rows()));
  for (int i = 0; i < rows.rows(); ++i)
    out.push_back(read_pg_item(rows, i));
  return out;
}

namespace queries {

using notify::StoreErrc;
using notify::StoreError;

namespace {

// A page is at most this long whatever the caller asks (the API allows 1..100).
constexpr int kMaxPage = 1000;

// The six inbox queries, as in SQLite's inbox_queries.cpp: keyset pagination strictly
// after the (created_at, id) of the previous page's last item.
std::string inbox_sql(int filter, bool after) {
  std::string sql = "SELECT " HERALD_ITEM_COLUMNS HERALD_ITEM_FROM
                    "WHERE r.user_key = (SELECT key FROM users WHERE id = $1)";
  if (filter == 1) sql += " AND r.read_at IS NULL";
  if (filter == 2) sql += " AND r.read_at IS NOT NULL";
  if (after) sql += " AND (r.created_at, r.id) < ($2::bigint, $3::bigint)";
  sql += after ? " ORDER BY r.created_at DESC, r.id DESC LIMIT $4"
               : " ORDER BY r.created_at DESC, r.id DESC LIMIT $2";
  return sql;
}

const std::string& inbox_query(int filter, bool after) {
  static const std::array<std::string, 6> all = {inbox_sql(0, false), inbox_sql(0, true),
                                                 inbox_sql(1, false), inbox_sql(1, true),
                                                 inbox_sql(2, false), inbox_sql(2, true)};
  return all[static_cast<std::size_t>(filter * 2 + (after ? 1 : 0))];
}

bool names_nobody(const std::string& user_id) { return user_id.find('\0') != std::string::npos; }

} // namespace

Result<OwnedRecord> find_owned(PgConnection& c, const std::string& user_id, const std::string& recipient_id) {
  const auto id = parse_id(recipient_id);
  if (!id || names_nobody(user_id)) return StoreError{StoreErrc::not_found, "no such recipient record"};
  auto r = c.query("SELECT notification_id, read_at FROM recipients WHERE id = $1 "
                   "AND user_key = (SELECT key FROM users WHERE id = $2)",
                   PgParams().add(*id).add(user_id));
  if (!r) return r.error();
  if (r->rows() == 0) return StoreError{StoreErrc::not_found, "no such recipient record"};
  return OwnedRecord{*id, r->int64(0, 0), r->optional_int64(0, 1)};
}

Result<void> set_read_at(PgConnection& c, std::int64_t id, std::optional<std::int64_t> read_at) {
  if (auto r = c.query("UPDATE recipients SET read_at = $2 WHERE id = $1", PgParams().add(id).add(read_at));
      !r)
    return r.error();
  return {};
}

Result<notify::InboxPage> list_inbox(PgConnection& c, const notify::InboxQuery& query) {
  std::optional<InboxCursor> cursor;
  if (query.cursor && !query.cursor->empty()) {
    cursor = decode_cursor(*query.cursor);
    if (!cursor) return StoreError{StoreErrc::invalid, "malformed cursor"};
  }
  const int limit = std::clamp(query.limit, 1, kMaxPage);
  const int filter = !query.unread ? 0 : (*query.unread ? 1 : 2);
  notify::InboxPage page;
  if (!names_nobody(query.user_id)) {
    PgParams params;
    params.add(query.user_id);
    if (cursor) params.add(cursor->created_ms).add(cursor->recipient_id);
    // One more than asked tells whether another page exists without a second query.
    params.add(std::int64_t{limit} + 1);
    auto rows = c.query(inbox_query(filter, cursor.has_value()), params);
    if (!rows) return rows.error();
    page.items = read_pg_items(*rows);
  }
  if (page.items.size() > static_cast<std::size_t>(limit)) {
    page.items.pop_back();
    const auto& last = page.items.back();
    page.next_cursor =
        encode_cursor({to_ms(last.notification.created_at), *parse_id(last.recipient.recipient_id)});
  }
  auto unread = unread_count(c, query.user_id);
  if (!unread) return unread.error();
  page.unread_count = unread.value();
  return page;
}

Result<std::int64_t> unread_count(PgConnection& c, const std::string& user_id) {
  if (names_nobody(user_id)) return std::int64_t{0};
  auto r = c.query("SELECT count(*) FROM recipients "
                   "WHERE user_key = (SELECT key FROM users WHERE id = $1) AND read_at IS NULL",
                   PgParams().add(user_id));
  if (!r) return r.error();
  return r->int64(0, 0);
}

Result<std::int64_t> mark_all_read(PgConnection& c, const std::string& user_id, core::WallTime at) {
  if (names_nobody(user_id)) return std::int64_t{0};
  auto r = c.query("UPDATE recipients SET read_at = $2 "
                   "WHERE user_key = (SELECT key FROM users WHERE id = $1) AND read_at IS NULL",
                   PgParams().add(user_id).add(to_ms(at)));
  if (!r) return r.error();
  return r->affected();
}

} // namespace queries
} // namespace herald::store
