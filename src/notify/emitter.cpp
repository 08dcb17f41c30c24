#include "notify/emitter.hpp"

#include "notify/payloads.hpp"

#include <charconv>

namespace herald::notify {

namespace {
constexpr uint64_t kAckIdBase = uint64_t{1} << 40;
// JavaScript numbers are exact up to 2^53: the largest ack id a client echoes faithfully.
constexpr uint64_t kAckIdMax = uint64_t{1} << 53;
} // namespace

std::optional<uint64_t> ack_id_for_recipient(std::string_view recipient_id) {
  uint64_t id = 0;
  const auto* end = recipient_id.data() + recipient_id.size();
  auto [p, ec] = std::from_chars(recipient_id.data(), end, id);
  if (ec != std::errc() || p != end || id >= kAckIdMax - kAckIdBase) return std::nullopt;
  return kAckIdBase + id;
}

std::optional<std::string> recipient_for_ack_id(uint64_t ack_id) {
  if (ack_id < kAckIdBase || ack_id >= kAckIdMax) return std::nullopt;
  return std::to_string(ack_id - kAckIdBase);
}

UserEvent new_notification_event(const Notification& n, std::string user_id, std::string_view recipient_id) {
  return UserEvent{std::move(user_id), "notification:new", new_payload(n, recipient_id),
                   ack_id_for_recipient(recipient_id)};
}

void Emitter::new_notification(const Notification& n, const std::vector<RecipientRef>& recipients) {
  std::vector<UserEvent> events;
  events.reserve(recipients.size());
  for (const auto& r : recipients)
    events.push_back(new_notification_event(n, r.user_id, r.recipient_id));
  to_users(std::move(events));
}

} // namespace herald::notify
