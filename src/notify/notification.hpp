#pragma once
// A stored notification: what `notification:new` carries, minus the recipient id.

#include "core/clock.hpp"
#include "notify/notification_type.hpp"

#include <string>

namespace herald::notify {

// Who sent it, as it was when the notification was created (a snapshot, not a reference).
struct Sender {
  std::string id;
  std::string username;
  std::string display_name;

  bool operator==(const Sender&) const = default;
};

struct Notification {
  std::string id; // decimal string on the wire
  std::string title;
  std::string content;
  std::string content_html;
  NotificationType type;
  Sender sender;
  core::WallTime created_at; // millisecond precision, as stored

  bool operator==(const Notification&) const = default;
};

} // namespace herald::notify
