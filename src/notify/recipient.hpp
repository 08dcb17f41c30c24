#pragma once
// One user's copy of one notification: its delivery state and its read state. Read and
// unread never change the delivery status (SPEC 5).

#include "core/clock.hpp"
#include "notify/delivery_status.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace herald::notify {

struct Recipient {
  std::string recipient_id; // decimal string on the wire
  std::string notification_id;
  std::string user_id;
  DeliveryStatus delivery_status = DeliveryStatus::pending;
  int attempts = 0;                              // sends so far
  std::optional<core::WallTime> next_attempt_at; // ack deadline or retry time; none once settled
  std::optional<core::WallTime> delivered_at;
  std::optional<core::WallTime> read_at;

  bool operator==(const Recipient&) const = default;
};

} // namespace herald::notify
