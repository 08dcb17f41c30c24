#pragma once
// The at-least-once state machine of SPEC section 5 as a pure function: given a record
// whose next_attempt_at has come, what happens next. No clock, no I/O: table-tested.
//
//   pending --deadline missed, retries left--> failed (next = deadline + backoff[attempts])
//   pending --deadline missed, none left-----> permanent_failure
//   failed  --retry time reached-------------> send again, pending (deadline = now + ack_timeout)
//   any     --receipt------------------------> delivered   (Repository::acknowledge)

#include "core/clock.hpp"
#include "notify/recipient.hpp"

#include <chrono>
#include <optional>
#include <vector>

namespace herald::notify {

struct DeliveryPolicy {
  std::chrono::milliseconds ack_timeout{30'000};
  // One retry per entry; `attempts` on a record counts the retries already sent.
  std::vector<std::chrono::milliseconds> retry_backoff{std::chrono::minutes(1), std::chrono::minutes(5),
                                                       std::chrono::minutes(15)};
};

struct DeliveryStep {
  enum class Action { none, mark_failed, mark_permanent_failure, resend };
  Action action = Action::none;
  // mark_failed: the retry time; resend: the new ack deadline.
  std::optional<core::WallTime> next_attempt_at;
};

// What to do with `record` at `now`. `none` when it is settled or not yet due.
DeliveryStep next_step(const Recipient& record, core::WallTime now, const DeliveryPolicy& policy);

} // namespace herald::notify
