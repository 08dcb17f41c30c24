#pragma once
// The requests and answers of notify::Repository. Plain values: no database types leak
// out, so a PostgreSQL repository can fill the same structs.

#include "core/clock.hpp"
#include "notify/notification.hpp"
#include "notify/recipient.hpp"
#include "notify/user.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace herald::notify {

struct UpsertUserResult {
  User user; // as stored after the merge
  bool created = false;
};

// Who receives a notification. The union of all three, each user once.
struct Targets {
  std::vector<std::string> users;       // need not be in the directory yet
  std::vector<std::string> departments; // members as the directory knows them now
  bool broadcast = false;               // every user in the directory
};

struct CreateNotificationRequest {
  std::string title;
  std::string content;
  std::string content_html; // already rendered and sanitized by the caller
  std::string type_id;      // must exist, else StoreErrc::invalid
  Sender sender;
  Targets targets;
  std::optional<std::string> idempotency_key;
  core::WallTime created_at;
  // When set, every recipient starts with this as next_attempt_at, so a process killed
  // between the commit and the first send still finds the records in due_deliveries().
  std::optional<core::WallTime> ack_deadline;
};

struct RecipientRef {
  std::string recipient_id;
  std::string user_id;

  bool operator==(const RecipientRef&) const = default;
};

struct CreatedNotification {
  Notification notification;
  std::vector<RecipientRef> recipients; // in target order: users, departments, broadcast
  std::int64_t recipient_count = 0;
  bool replayed = false; // the idempotency key was seen before; nothing was created
};

// A notification as one recipient sees it: inbox items, due deliveries, redeliveries.
struct InboxItem {
  Notification notification;
  Recipient recipient;
};

struct InboxQuery {
  std::string user_id;
  std::optional<bool> unread;        // nullopt: all; true: unread only; false: read only
  int limit = 20;                    // the caller validates the range; the store clamps to 1..1000
  std::optional<std::string> cursor; // next_cursor of the previous page
};

struct InboxPage {
  std::vector<InboxItem> items;           // newest first
  std::optional<std::string> next_cursor; // nullopt on the last page
  std::int64_t unread_count = 0;          // of the whole inbox, not of this page
};

struct ReadChange {
  bool changed = false; // false when it already was in the asked state
  std::string notification_id;
  std::optional<core::WallTime> read_at; // the stored read time (the first one when unchanged)
};

} // namespace herald::notify
