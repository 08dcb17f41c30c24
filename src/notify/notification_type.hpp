#pragma once
// A kind of notification (system, info, success, ...) with how a client should show it.

#include <string>

namespace herald::notify {

struct NotificationType {
  std::string id;
  std::string name;
  std::string icon;
  std::string color;

  bool operator==(const NotificationType&) const = default;
};

} // namespace herald::notify
