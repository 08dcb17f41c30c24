#pragma once
// The SQL behind each Repository operation on PostgreSQL: overloads of queries.hpp's
// functions, same contracts, on a PgConnection (QueuedRepository picks them by type). PgRepository decides on
// which thread and in which transaction they run. Write functions assume an open transaction (a failure may
// leave partial changes, or an aborted transaction, that the caller rolls back to its savepoint).

#include "core/clock.hpp"
#include "notify/repository_types.hpp"
#include "notify/result.hpp"
#include "store/queries.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace herald::store {

class PgConnection;

namespace queries {

using notify::Result;

// --- directory (pg_directory_queries.cpp)
Result<notify::UpsertUserResult> upsert_user(PgConnection& c, const notify::UserUpdate& update);
Result<notify::User> get_user(PgConnection& c, const std::string& user_id);
Result<std::vector<notify::NotificationType>> list_types(PgConnection& c);
Result<notify::NotificationType> create_type(PgConnection& c, const notify::NotificationType& type);
Result<notify::NotificationType> get_type(PgConnection& c, const std::string& type_id);

// --- notifications (pg_notification_queries.cpp)
Result<notify::CreatedNotification> create_notification(PgConnection& c,
                                                        const notify::CreateNotificationRequest& r);

// --- inbox (pg_inbox_queries.cpp)
Result<notify::InboxPage> list_inbox(PgConnection& c, const notify::InboxQuery& query);
Result<std::int64_t> unread_count(PgConnection& c, const std::string& user_id);
Result<OwnedRecord> find_owned(PgConnection& c, const std::string& user_id, const std::string& recipient_id);
Result<void> set_read_at(PgConnection& c, std::int64_t id, std::optional<std::int64_t> read_at);
Result<std::int64_t> mark_all_read(PgConnection& c, const std::string& user_id, core::WallTime at);

// --- delivery (pg_delivery_queries.cpp)
Result<void> acknowledge(PgConnection& c, const std::string& user_id, const std::string& recipient_id,
                         core::WallTime at);
// acknowledge for a run of receipts in one statement: answers, for each, whether it named
// a record of its user.
Result<std::vector<bool>> acknowledge_all(PgConnection& c, const std::vector<Receipt>& receipts);
Result<std::int64_t> record_sent(PgConnection& c, const std::vector<std::string>& recipient_ids,
                                 core::WallTime ack_deadline);
// Pending/failed records due at `now`, earliest first, claimed for this node: see there.
Result<std::vector<notify::InboxItem>> claim_due_deliveries(PgConnection& c, core::WallTime now, int limit,
                                                            std::chrono::milliseconds lease);
Result<bool> update_delivery(PgConnection& c, const std::string& recipient_id, notify::DeliveryStatus status,
                             std::optional<core::WallTime> next_attempt_at);
Result<std::vector<std::string>> users_with_undelivered(PgConnection& c);
Result<std::vector<notify::InboxItem>> undelivered_for_user(PgConnection& c, const std::string& user_id,
                                                            int limit);

} // namespace queries
} // namespace herald::store
