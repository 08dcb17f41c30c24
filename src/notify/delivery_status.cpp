#include "notify/delivery_status.hpp"

namespace herald::notify {

std::string_view to_string(DeliveryStatus status) {
  switch (status) {
  case DeliveryStatus::pending:
    return "pending";
  case DeliveryStatus::delivered:
    return "delivered";
  case DeliveryStatus::failed:
    return "failed";
  case DeliveryStatus::permanent_failure:
    return "permanent_failure";
  }
  return "pending"; // unreachable: every enumerator is handled above
}

std::optional<DeliveryStatus> delivery_status_from_string(std::string_view text) {
  for (auto s : {DeliveryStatus::pending, DeliveryStatus::delivered, DeliveryStatus::failed,
                 DeliveryStatus::permanent_failure}) {
    if (to_string(s) == text) return s;
  }
  return std::nullopt;
}

} // namespace herald::notify
