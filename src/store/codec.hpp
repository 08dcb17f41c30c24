#pragma once
// How domain values are written to and read from rows: times as milliseconds, ids as
// rowids, inbox cursors as opaque text, and the one column list every item query shares.

#include "core/clock.hpp"
#include "notify/repository_types.hpp"
#include "store/statement.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald::store {

// Milliseconds since the Unix epoch; sub-millisecond parts are dropped, as on the wire.
std::int64_t to_ms(core::WallTime t);
core::WallTime from_ms(std::int64_t ms);
std::optional<core::WallTime> from_ms(std::optional<std::int64_t> ms);
// The stored form of a time: what reading it back will give.
core::WallTime truncate_to_ms(core::WallTime t);

// A rowid from its wire form; nullopt unless it is a positive decimal without decoration.
std::optional<std::int64_t> parse_id(std::string_view text);

struct InboxCursor {
  std::int64_t created_ms = 0;
  std::int64_t recipient_id = 0;
};
// Opaque to clients; names the last item of a page.
std::string encode_cursor(const InboxCursor& cursor);
// nullopt for text that encode_cursor did not produce.
std::optional<InboxCursor> decode_cursor(std::string_view text);

// The columns read_item() expects, over `recipients r`, `users u`, `notifications n` and
// `notification_types t` joined as HERALD_ITEM_FROM does.
#define HERALD_ITEM_COLUMNS                                                                                  \
  "r.id, r.notification_id, u.id, r.status, r.attempts, r.next_attempt_at, r.delivered_at, r.read_at, "      \
  "n.title, n.content, n.content_html, n.sender_id, n.sender_username, n.sender_display_name, "              \
  "n.created_at, t.id, t.name, t.icon, t.color"
#define HERALD_ITEM_FROM                                                                                     \
  " FROM recipients r JOIN users u ON u.key = r.user_key JOIN notifications n ON n.id = r.notification_id"   \
  " JOIN notification_types t ON t.id = n.type_id "

// One row selected with HERALD_ITEM_COLUMNS.
notify::InboxItem read_item(const Statement& row);

} // namespace herald::store
