#pragma once
// Where one recipient's copy of a notification is in the delivery state machine (SPEC 5).

#include <optional>
#include <string_view>

namespace herald::notify {

enum class DeliveryStatus {
  pending,           // committed, or sent and awaiting its ack
  delivered,         // acknowledged by a client; final: nothing moves it back
  failed,            // an ack was missed; waiting for the next retry
  permanent_failure, // the ack of the last retry was missed
};

// The wire name: "pending", "delivered", "failed", "permanent_failure".
std::string_view to_string(DeliveryStatus status);
// Returns nullopt for any other text.
std::optional<DeliveryStatus> delivery_status_from_string(std::string_view text);

} // namespace herald::notify
