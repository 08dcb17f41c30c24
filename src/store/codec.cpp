#include "store/codec.hpp"

#include "core/ids.hpp"

#include <charconv>

namespace herald::store {

std::int64_t to_ms(core::WallTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

core::WallTime from_ms(std::int64_t ms) {
  return core::WallTime{std::chrono::duration_cast<core::WallTime::duration>(std::chrono::milliseconds(ms))};
}

std::optional<core::WallTime> from_ms(std::optional<std::int64_t> ms) {
  if (!ms) return std::nullopt;
  return from_ms(*ms);
}

core::WallTime truncate_to_ms(core::WallTime t) { return from_ms(to_ms(t)); }

std::optional<std::int64_t> parse_id(std::string_view text) {
  if (text.empty() || text.size() > 19 || text.front() < '1' || text.front() > '9') return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string encode_cursor(const InboxCursor& cursor) {
  return core::base64url_encode(std::to_string(cursor.created_ms) + ":" +
                                std::to_string(cursor.recipient_id));
}

std::optional<InboxCursor> decode_cursor(std::string_view text) {
  const auto raw = core::base64url_decode(text);
  if (!raw) return std::nullopt;
  const std::string_view s = *raw;
  const auto colon = s.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  InboxCursor cursor;
  const std::string_view created = s.substr(0, colon);
  const auto [end, ec] = std::from_chars(created.data(), created.data() + created.size(), cursor.created_ms);
  if (created.empty() || ec != std::errc() || end != created.data() + created.size()) return std::nullopt;
  const auto id = parse_id(s.substr(colon + 1));
  if (!id) return std::nullopt;
  cursor.recipient_id = *id;
  return cursor;
}

notify::InboxItem read_item(const Statement& row) {
  notify::InboxItem item;
  notify::Recipient& r = item.recipient;
  r.recipient_id = std::to_string(row.int64(0));
  r.notification_id = std::to_string(row.int64(1));
  r.user_id = row.text(2);
  // The CHECK constraint allows only the four names, so the fallback is never taken.
  r.delivery_status =
      notify::delivery_status_from_string(row.text(3)).value_or(notify::DeliveryStatus::pending);
  r.attempts = static_cast<int>(row.int64(4));
  r.next_attempt_at = from_ms(row.optional_int64(5));
  r.delivered_at = from_ms(row.optional_int64(6));
  r.read_at = from_ms(row.optional_int64(7));
  notify::Notification& n = item.notification;
  n.id = r.notification_id;
  n.title = row.text(8);
  n.content = row.text(9);
  n.content_html = row.text(10);
  n.sender = {row.text(11), row.text(12), row.text(13)};
  n.created_at = from_ms(row.int64(14));
  n.type = {row.text(15), row.text(16), row.text(17), row.text(18)};
  return item;
}

} // namespace herald::store
