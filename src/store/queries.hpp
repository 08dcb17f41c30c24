#pragma once
// The SQL behind each Repository operation, as synchronous functions on one connection.
// SqliteRepository decides on which thread and in which transaction they run; these only
// state what they read and write. Write functions assume an open write transaction (a
// failure may leave partial changes that the caller rolls back to its savepoint).

#include "core/clock.hpp"
#include "notify/repository_types.hpp"
#include "notify/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::store {

class Connection;

namespace queries {

using notify::Result;

// --- directory (directory_queries.cpp)
// Creates or merges; departments are replaced when given.
Result<notify::UpsertUserResult> upsert_user(Connection& c, const notify::UserUpdate& update);
// not_found when absent.
Result<notify::User> get_user(Connection& c, const std::string& user_id);
// All types by id.
Result<std::vector<notify::NotificationType>> list_types(Connection& c);
// conflict when the id exists; invalid for an empty id or name.
Result<notify::NotificationType> create_type(Connection& c, const notify::NotificationType& type);
// not_found when absent.
Result<notify::NotificationType> get_type(Connection& c, const std::string& type_id);

// --- notifications (notification_queries.cpp)
// Idempotency check, notification row, recipient resolution and records.
Result<notify::CreatedNotification> create_notification(Connection& c,
                                                        const notify::CreateNotificationRequest& r);

// --- inbox (inbox_queries.cpp)
// One keyset page; invalid for a foreign cursor.
Result<notify::InboxPage> list_inbox(Connection& c, const notify::InboxQuery& query);
// Unread records of the user.
Result<std::int64_t> unread_count(Connection& c, const std::string& user_id);
// A record as a change of its read state needs it.
struct OwnedRecord {
  std::int64_t id = 0;
  std::int64_t notification_id = 0;
  std::optional<std::int64_t> read_at;
};
// The record if it exists and is the user's; not_found otherwise (also for ids that do
// not parse), so that nobody learns whether another user's id exists. (mark_read and
// mark_unread are QueuedRepository's, on this and set_read_at.)
Result<OwnedRecord> find_owned(Connection& c, const std::string& user_id, const std::string& recipient_id);
// Sets read_at, or clears it with nullopt.
Result<void> set_read_at(Connection& c, std::int64_t id, std::optional<std::int64_t> read_at);
// Answers how many records became read.
Result<std::int64_t> mark_all_read(Connection& c, const std::string& user_id, core::WallTime at);

// --- delivery (delivery_queries.cpp)
// Any state -> delivered; not_found unless the record is the user's.
Result<void> acknowledge(Connection& c, const std::string& user_id, const std::string& recipient_id,
                         core::WallTime at);
// One receipt of a run given to acknowledge_all.
struct Receipt {
  std::string_view user_id;
  std::string_view recipient_id;
  core::WallTime at;
};
// acknowledge for a run of receipts in one statement: answers, for each, whether it named
// a record of its user (acknowledge's not_found otherwise).
Result<std::vector<bool>> acknowledge_all(Connection& c, const std::vector<Receipt>& receipts);
// attempts + 1, pending, next_attempt_at = deadline for each undelivered id; answers the count.
Result<std::int64_t> record_sent(Connection& c, const std::vector<std::string>& recipient_ids,
                                 core::WallTime ack_deadline);
// Pending/failed records due at `now`, earliest first.
Result<std::vector<notify::InboxItem>> due_deliveries(Connection& c, core::WallTime now, int limit);
// Retry state machine step; false when the record is already delivered.
Result<bool> update_delivery(Connection& c, const std::string& recipient_id, notify::DeliveryStatus status,
                             std::optional<core::WallTime> next_attempt_at);
// The users with pending/failed records.
Result<std::vector<std::string>> users_with_undelivered(Connection& c);
// Pending/failed records of the user, oldest first.
Result<std::vector<notify::InboxItem>> undelivered_for_user(Connection& c, const std::string& user_id,
                                                            int limit);

} // namespace queries
} // namespace herald::store
