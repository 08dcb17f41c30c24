// The retry state machine of SPEC section 5, with times chosen by hand (no clock at all).

#include "notify/delivery_policy.hpp"
#include "notify/emitter.hpp"

#include <gtest/gtest.h>

namespace herald::notify {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using Action = DeliveryStep::Action;

const core::WallTime t0 = core::WallTime{} + std::chrono::hours(24 * 365 * 56);

Recipient record(DeliveryStatus status, int attempts, std::optional<core::WallTime> next) {
  Recipient r;
  r.recipient_id = "1";
  r.delivery_status = status;
  r.attempts = attempts;
  r.next_attempt_at = next;
  return r;
}

TEST(DeliveryPolicy, DefaultScheduleIsOneFiveFifteenMinutesAfterThirtySeconds) {
  const DeliveryPolicy policy;
  EXPECT_EQ(policy.ack_timeout, seconds(30));
  ASSERT_EQ(policy.retry_backoff.size(), 3u);
  EXPECT_EQ(policy.retry_backoff[0], minutes(1));
  EXPECT_EQ(policy.retry_backoff[1], minutes(5));
  EXPECT_EQ(policy.retry_backoff[2], minutes(15));
}

TEST(DeliveryPolicy, WalksTheDefaultScheduleToPermanentFailure) {
  const DeliveryPolicy policy;
  // Sent at t0: the ack deadline is t0 + 30 s.
  core::WallTime deadline = t0 + seconds(30);
  auto r = record(DeliveryStatus::pending, 0, deadline);
  const minutes expected_backoff[] = {minutes(1), minutes(5), minutes(15)};
  for (int retry = 0; retry < 3; ++retry) {
    SCOPED_TRACE(retry);
    // Not due a millisecond before the deadline.
    EXPECT_EQ(next_step(r, deadline - milliseconds(1), policy).action, Action::none);
    // The missed deadline: failed, retried backoff[retry] after the deadline (not after now).
    const auto failed = next_step(r, deadline + seconds(3), policy);
    ASSERT_EQ(failed.action, Action::mark_failed);
    EXPECT_EQ(*failed.next_attempt_at, deadline + expected_backoff[retry]);
    r.delivery_status = DeliveryStatus::failed;
    r.next_attempt_at = failed.next_attempt_at;
    // Not resent early.
    EXPECT_EQ(next_step(r, *r.next_attempt_at - milliseconds(1), policy).action, Action::none);
    // Resent when due: pending again with a fresh ack deadline from now.
    const auto now = *r.next_attempt_at + milliseconds(250);
    const auto resend = next_step(r, now, policy);
    ASSERT_EQ(resend.action, Action::resend);
    EXPECT_EQ(*resend.next_attempt_at, now + seconds(30));
    r.delivery_status = DeliveryStatus::pending;
    r.attempts += 1; // record_sent counts the retry
    r.next_attempt_at = resend.next_attempt_at;
    deadline = *resend.next_attempt_at;
  }
  // The ack of the last retry is missed: permanent.
  const auto last = next_step(r, deadline, policy);
  EXPECT_EQ(last.action, Action::mark_permanent_failure);
  EXPECT_FALSE(last.next_attempt_at.has_value());
}

TEST(DeliveryPolicy, SettledRecordsNeverMove) {
  const DeliveryPolicy policy;
  for (auto status : {DeliveryStatus::delivered, DeliveryStatus::permanent_failure}) {
    EXPECT_EQ(next_step(record(status, 0, t0), t0 + minutes(60), policy).action, Action::none);
    EXPECT_EQ(next_step(record(status, 3, std::nullopt), t0, policy).action, Action::none);
  }
}

TEST(DeliveryPolicy, NoDeadlineMeansNothingToDo) {
  EXPECT_EQ(next_step(record(DeliveryStatus::pending, 0, std::nullopt), t0, {}).action, Action::none);
}

TEST(DeliveryPolicy, EmptyBackoffFailsPermanentlyAtTheFirstMissedDeadline) {
  DeliveryPolicy policy;
  policy.retry_backoff.clear();
  EXPECT_EQ(next_step(record(DeliveryStatus::pending, 0, t0), t0, policy).action,
            Action::mark_permanent_failure);
}

TEST(DeliveryPolicy, DeadlineExactlyNowIsDue) {
  const DeliveryPolicy policy;
  EXPECT_EQ(next_step(record(DeliveryStatus::pending, 0, t0), t0, policy).action, Action::mark_failed);
  EXPECT_EQ(next_step(record(DeliveryStatus::failed, 1, t0), t0, policy).action, Action::resend);
}

TEST(DeliveryPolicy, ShortConfiguredScheduleIsHonoured) {
  DeliveryPolicy policy{milliseconds(300), {milliseconds(200), milliseconds(700)}};
  auto step = next_step(record(DeliveryStatus::pending, 1, t0), t0 + milliseconds(5), policy);
  ASSERT_EQ(step.action, Action::mark_failed);
  EXPECT_EQ(*step.next_attempt_at, t0 + milliseconds(700));
  step = next_step(record(DeliveryStatus::pending, 2, t0), t0, policy);
  EXPECT_EQ(step.action, Action::mark_permanent_failure);
}

TEST(AckIds, CarryTheRecipientIdBothWays) {
  for (const char* id : {"0", "1", "42", "123456789012"}) {
    const auto ack = ack_id_for_recipient(id);
    ASSERT_TRUE(ack.has_value()) << id;
    EXPECT_GE(*ack, uint64_t{1} << 40);
    EXPECT_LT(*ack, uint64_t{1} << 53); // a JavaScript client echoes it exactly
    EXPECT_EQ(recipient_for_ack_id(*ack), id);
  }
  // The engine's own ack ids (small counters) are never taken for receipts.
  EXPECT_FALSE(recipient_for_ack_id(0).has_value());
  EXPECT_FALSE(recipient_for_ack_id(12345).has_value());
  EXPECT_FALSE(recipient_for_ack_id(uint64_t{1} << 53).has_value());
  for (const char* bad : {"", "x", "-1", "1.5", "99999999999999999999"})
    EXPECT_FALSE(ack_id_for_recipient(bad).has_value()) << bad;
}

} // namespace
} // namespace herald::notify
