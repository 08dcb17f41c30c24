// SPEC section 6 with a manual clock: connections per user, bans, the event budget.

#include "realtime/user_limits.hpp"

#include <gtest/gtest.h>

namespace herald::realtime {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Admission = UserLimits::Admission;

TEST(UserLimits, AdmitsUpToTheLimitThenRefusesUntilOneLeaves) {
  core::ManualClock clock;
  UserLimits limits({.max_connections_per_user = 3, .max_events_per_minute = 10, .ban_duration = seconds(60)},
                    clock);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(limits.admit("u").admission, Admission::admitted);
  EXPECT_EQ(limits.admit("u").admission, Admission::too_many);
  EXPECT_EQ(limits.admit("other").admission, Admission::admitted); // per user
  limits.release("u");
  EXPECT_EQ(limits.admit("u").admission, Admission::admitted);
}

TEST(UserLimits, TenRefusalsWithinAMinuteBanTheUser) {
  core::ManualClock clock;
  UserLimits limits(
      {.max_connections_per_user = 1, .max_events_per_minute = 10, .ban_duration = seconds(300)}, clock);
  ASSERT_EQ(limits.admit("u").admission, Admission::admitted);
  for (int i = 0; i < 9; ++i) {
    EXPECT_EQ(limits.admit("u").admission, Admission::too_many);
    clock.advance(seconds(5));
  }
  EXPECT_EQ(limits.admit("u").admission, Admission::too_many); // the tenth
  const auto banned = limits.admit("u");
  EXPECT_EQ(banned.admission, Admission::banned);
  EXPECT_EQ(banned.retry_after_seconds, 300);
  clock.advance(milliseconds(100'500));
  EXPECT_EQ(limits.admit("u").retry_after_seconds, 200); // whole seconds, rounded up
  limits.release("u");
  clock.advance(seconds(200));
  EXPECT_EQ(limits.admit("u").admission, Admission::admitted);
}

TEST(UserLimits, RefusalsSpreadOverMoreThanAMinuteDoNotBan) {
  core::ManualClock clock;
  UserLimits limits(
      {.max_connections_per_user = 1, .max_events_per_minute = 10, .ban_duration = seconds(300)}, clock);
  ASSERT_EQ(limits.admit("u").admission, Admission::admitted);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(limits.admit("u").admission, Admission::too_many);
    clock.advance(seconds(7));
  }
}

TEST(UserLimits, ExplicitBanEndsAfterTheDuration) {
  core::ManualClock clock;
  UserLimits limits({.max_connections_per_user = 5, .max_events_per_minute = 10, .ban_duration = seconds(30)},
                    clock);
  limits.ban("u");
  EXPECT_EQ(limits.admit("u").admission, Admission::banned);
  clock.advance(seconds(30));
  EXPECT_EQ(limits.admit("u").admission, Admission::admitted);
}

TEST(EventBudget, DropsPastTheLimitAndIsExhaustedWhenAsManyAgainWereDropped) {
  core::ManualClock clock;
  EventBudget budget;
  const auto now = clock.steady_now();
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(budget.spend(now, 5), EventBudget::Outcome::allowed);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(budget.spend(now, 5), EventBudget::Outcome::dropped);
  EXPECT_EQ(budget.spend(now, 5), EventBudget::Outcome::exhausted);
  EXPECT_EQ(budget.retry_after(now + seconds(20)), 40);
}

TEST(EventBudget, ANewMinuteStartsAFreshWindow) {
  core::ManualClock clock;
  EventBudget budget;
  auto now = clock.steady_now();
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(budget.spend(now, 5), EventBudget::Outcome::allowed);
  EXPECT_EQ(budget.spend(now, 5), EventBudget::Outcome::dropped);
  now += seconds(60);
  EXPECT_EQ(budget.spend(now, 5), EventBudget::Outcome::allowed);
}

} // namespace
} // namespace herald::realtime
