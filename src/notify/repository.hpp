#pragma once
// What the notification service needs from storage. Every operation is asynchronous: it
// returns at once and later invokes its callback exactly once, on a thread owned by the
// store (callers post the result back to their own event loop). When the store cannot
// even accept the request (queue full, closed) the callback runs inline, before the call
// returns, with StoreErrc::unavailable. Errors are values; nothing throws across here.
//
// Writes are durable when their callback reports success. Ids are decimal strings; an id
// that does not parse, does not exist or belongs to another user is not_found.

#include "core/clock.hpp"
#include "notify/notification_type.hpp"
#include "notify/repository_types.hpp"
#include "notify/result.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace herald::notify {

template <class T> using Callback = std::function<void(Result<T>)>;

class Repository {
public:
  virtual ~Repository() = default;

  // --- directory
  // Creates the user or merges the given fields into it; says which.
  virtual void upsert_user(UserUpdate update, Callback<UpsertUserResult> done) = 0;
  // The same for what a token says about its user, learnt as the user connects: nobody
  // waits on it, so the store may hold it a few milliseconds to write many users in one
  // transaction. Still written before any write submitted after it.
  virtual void learn_user(UserUpdate update, Callback<UpsertUserResult> done) = 0;
  // not_found when the directory has no such user.
  virtual void get_user(std::string user_id, Callback<User> done) = 0;

  // --- notification types
  // All types, ordered by id.
  virtual void list_types(Callback<std::vector<NotificationType>> done) = 0;
  // conflict when the id exists.
  virtual void create_type(NotificationType type, Callback<NotificationType> done) = 0;
  // not_found when unknown.
  virtual void get_type(std::string type_id, Callback<NotificationType> done) = 0;

  // --- notifications
  // Stores the notification and one pending recipient record per resolved user, in one
  // transaction; a known idempotency key answers the first result with replayed = true.
  virtual void create_notification(CreateNotificationRequest request, Callback<CreatedNotification> done) = 0;

  // --- inbox
  // One page of the user's inbox, newest first; invalid for a cursor it did not issue.
  virtual void list_inbox(InboxQuery query, Callback<InboxPage> done) = 0;
  // Unread records of the user.
  virtual void unread_count(std::string user_id, Callback<std::int64_t> done) = 0;
  // Sets read_at unless already read.
  virtual void mark_read(std::string user_id, std::string recipient_id, core::WallTime at,
                         Callback<ReadChange> done) = 0;
  // Clears read_at unless already unread.
  virtual void mark_unread(std::string user_id, std::string recipient_id, Callback<ReadChange> done) = 0;
  // Marks every unread record of the user read at `at`; answers how many changed.
  virtual void mark_all_read(std::string user_id, core::WallTime at, Callback<std::int64_t> done) = 0;

  // --- delivery
  // A receipt: any state becomes delivered (first delivered_at kept). Idempotent.
  virtual void acknowledge(std::string user_id, std::string recipient_id, core::WallTime at,
                           Callback<void> done) = 0;
  // The records were just emitted: attempts + 1, pending, next_attempt_at = ack_deadline.
  // Delivered records and unknown ids are skipped; answers how many were updated.
  virtual void record_sent(std::vector<std::string> recipient_ids, core::WallTime ack_deadline,
                           Callback<std::int64_t> done) = 0;
  // Pending or failed records with next_attempt_at <= now, earliest first, at most `limit`.
  // A store shared by several nodes claims what it answers for the caller: until a lease
  // runs out (or update_delivery / record_sent moves them), no call answers them again.
  virtual void due_deliveries(core::WallTime now, int limit, Callback<std::vector<InboxItem>> done) = 0;
  // Moves a record along the retry state machine (pending, failed, permanent_failure;
  // delivered is acknowledge's job: invalid). A delivered record is left alone: answers
  // false. not_found for an unknown id.
  virtual void update_delivery(std::string recipient_id, DeliveryStatus status,
                               std::optional<core::WallTime> next_attempt_at, Callback<bool> done) = 0;
  // The user's pending and failed records, oldest first, for redelivery on connect.
  virtual void undelivered_for_user(std::string user_id, int limit,
                                    Callback<std::vector<InboxItem>> done) = 0;
  // Every user with a pending or failed record, each once.
  virtual void users_with_undelivered(Callback<std::vector<std::string>> done) = 0;

  // --- sharing
  // True when other processes write the same store (nodes sharing a PostgreSQL database):
  // what this process remembers of the store's contents may then be stale.
  virtual bool shared() const { return false; }

  // --- lifetime
  // Finishes every accepted request (callbacks included), then refuses new ones with
  // unavailable. Blocks; idempotent. Never call it from a store callback.
  virtual void close() = 0;
};

} // namespace herald::notify
