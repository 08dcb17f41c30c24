#include "store/codec.hpp"
#include "store/connection.hpp"
#include "store/queries.hpp"

#include <algorithm>
#include <array>

namespace herald::store::queries {

using notify::StoreErrc;
using notify::StoreError;

namespace {

// A page is at most this long whatever the caller asks (the API allows 1..100).
constexpr int kMaxPage = 1000;

// The six inbox queries: {all, unread, read} x {first page, after a cursor}. Keyset
// pagination: a page continues strictly after the (created_at, id) of the previous page's
// last item, so inserts and read changes between pages cause neither gaps nor repeats.
// The unread variants name the partial index's condition, so SQLite walks it.
std::string inbox_sql(int filter, bool after) {
  std::string sql = "SELECT " HERALD_ITEM_COLUMNS HERALD_ITEM_FROM
                    "WHERE r.user_key = (SELECT key FROM users WHERE id = ?1)";
  if (filter == 1) sql += " AND r.read_at IS NULL";
  if (filter == 2) sql += " AND r.read_at IS NOT NULL";
  if (after) sql += " AND (r.created_at, r.id) < (?2, ?3)";
  sql += " ORDER BY r.created_at DESC, r.id DESC LIMIT ?4";
  return sql;
}

const std::string& inbox_query(int filter, bool after) {
  static const std::array<std::string, 6> all = {inbox_sql(0, false), inbox_sql(0, true),
                                                 inbox_sql(1, false), inbox_sql(1, true),
                                                 inbox_sql(2, false), inbox_sql(2, true)};
  return all[static_cast<std::size_t>(filter * 2 + (after ? 1 : 0))];
}

} // namespace

Result<OwnedRecord> find_owned(Connection& c, const std::string& user_id, const std::string& recipient_id) {
  const auto id = parse_id(recipient_id);
  if (!id) return StoreError{StoreErrc::not_found, "no such recipient record"};
  auto st = c.prepare("SELECT notification_id, read_at FROM recipients WHERE id = ?1 "
                      "AND user_key = (SELECT key FROM users WHERE id = ?2)");
  if (!st) return st.error();
  st->bind(1, *id);
  st->bind(2, user_id);
  const int rc = st->step();
  if (rc == SQLITE_DONE) return StoreError{StoreErrc::not_found, "no such recipient record"};
  if (rc != SQLITE_ROW) return c.error(rc, "find recipient");
  return OwnedRecord{*id, st->int64(0), st->optional_int64(1)};
}

Result<void> set_read_at(Connection& c, std::int64_t id, std::optional<std::int64_t> read_at) {
  auto st = c.prepare("UPDATE recipients SET read_at = ?2 WHERE id = ?1");
  if (!st) return st.error();
  st->bind(1, id);
  st->bind(2, read_at);
  if (const int rc = st->step(); rc != SQLITE_DONE) return c.error(rc, "update read_at");
  return {};
}

Result<notify::InboxPage> list_inbox(Connection& c, const notify::InboxQuery& query) {
  std::optional<InboxCursor> cursor;
  if (query.cursor && !query.cursor->empty()) {
    cursor = decode_cursor(*query.cursor);
    if (!cursor) return StoreError{StoreErrc::invalid, "malformed cursor"};
  }
  const int limit = std::clamp(query.limit, 1, kMaxPage);
  const int filter = !query.unread ? 0 : (*query.unread ? 1 : 2);
  notify::InboxPage page;
  {
    auto st = c.prepare(inbox_query(filter, cursor.has_value()));
    if (!st) return st.error();
    st->bind(1, query.user_id);
    if (cursor) {
      st->bind(2, cursor->created_ms);
      st->bind(3, cursor->recipient_id);
    }
    // One more than asked tells whether another page exists without a second query.
    st->bind(4, std::int64_t{limit} + 1);
    int rc;
    while ((rc = st->step()) == SQLITE_ROW)
      page.items.push_back(read_item(*st));
    if (rc != SQLITE_DONE) return c.error(rc, "list inbox");
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

Result<std::int64_t> unread_count(Connection& c, const std::string& user_id) {
  auto st = c.prepare("SELECT count(*) FROM recipients "
                      "WHERE user_key = (SELECT key FROM users WHERE id = ?1) AND read_at IS NULL");
  if (!st) return st.error();
  st->bind(1, user_id);
  if (const int rc = st->step(); rc != SQLITE_ROW) return c.error(rc, "unread count");
  return st->int64(0);
}

Result<std::int64_t> mark_all_read(Connection& c, const std::string& user_id, core::WallTime at) {
  auto st = c.prepare("UPDATE recipients SET read_at = ?2 "
                      "WHERE user_key = (SELECT key FROM users WHERE id = ?1) AND read_at IS NULL");
  if (!st) return st.error();
  st->bind(1, user_id);
  st->bind(2, to_ms(at));
  if (const int rc = st->step(); rc != SQLITE_DONE) return c.error(rc, "mark all read");
  return c.changes();
}

} // namespace herald::store::queries
