#include "notify/delivery_policy.hpp"

namespace herald::notify {

DeliveryStep next_step(const Recipient& r, core::WallTime now, const DeliveryPolicy& policy) {
  using Action = DeliveryStep::Action;
  if (!r.next_attempt_at || *r.next_attempt_at > now) return {};
  switch (r.delivery_status) {
  case DeliveryStatus::pending: {
    const auto retries_sent = static_cast<std::size_t>(r.attempts < 0 ? 0 : r.attempts);
    if (retries_sent < policy.retry_backoff.size())
      return {Action::mark_failed, *r.next_attempt_at + policy.retry_backoff[retries_sent]};
    return {Action::mark_permanent_failure, std::nullopt};
  }
  case DeliveryStatus::failed:
    return {Action::resend, now + policy.ack_timeout};
  case DeliveryStatus::delivered:
  case DeliveryStatus::permanent_failure:
    return {};
  }
  return {};
}

} // namespace herald::notify
