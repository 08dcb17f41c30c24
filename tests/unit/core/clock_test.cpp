#include "core/clock.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald::core {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

WallTime at(sys_days day, milliseconds time_of_day) { return WallTime{day} + time_of_day; }

TEST(FormatIso8601, Table) {
  struct Case {
    WallTime t;
    std::string text;
  };
  const std::vector<Case> cases = {
      {WallTime{}, "1970-01-01T00:00:00.000Z"},
      {at(sys_days{2026y / 11 / 26}, 10h + 46min + 56s + 123ms), "2026-11-26T10:46:56.123Z"},
      {at(sys_days{2024y / 2 / 29}, 23h + 59min + 59s + 999ms), "2024-02-29T23:59:59.999Z"},
      {at(sys_days{2000y / 1 / 1}, 0ms), "2000-01-01T00:00:00.000Z"},
      {at(sys_days{2038y / 1 / 19}, 3h + 14min + 8s), "2038-01-19T03:14:08.000Z"},
      {at(sys_days{2199y / 12 / 31}, 23h + 59min + 59s + 1ms), "2199-12-31T23:59:59.001Z"},
      // Before the epoch: the millisecond part stays positive.
      {WallTime{} - 1ms, "1969-12-31T23:59:59.999Z"},
      {WallTime{} - 1001ms, "1969-12-31T23:59:58.999Z"},
      {WallTime{} - 1000ms, "1969-12-31T23:59:59.000Z"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(format_iso8601(c.t), c.text);
}

TEST(FormatIso8601, TruncatesBelowTheMillisecond) {
  const WallTime t = at(sys_days{2026y / 11 / 26}, 123ms) + 999us;
  EXPECT_EQ(format_iso8601(t), "2026-11-26T00:00:00.123Z");
}

TEST(UnixSeconds, CountsFromTheEpoch) {
  EXPECT_EQ(unix_seconds(WallTime{}), 0);
  EXPECT_EQ(unix_seconds(at(sys_days{2026y / 11 / 26}, 10h + 46min + 56s + 999ms)), 1795690016);
}

TEST(ManualClock, MovesOnlyWhenTold) {
  ManualClock clock(at(sys_days{2026y / 11 / 26}, 0ms));
  const auto steady = clock.steady_now();
  EXPECT_EQ(format_iso8601(clock.wall_now()), "2026-11-26T00:00:00.000Z");
  EXPECT_EQ(clock.steady_now(), steady);
  clock.advance(90min + 250ms);
  EXPECT_EQ(clock.steady_now() - steady, 90min + 250ms);
  EXPECT_EQ(format_iso8601(clock.wall_now()), "2026-11-26T01:30:00.250Z");
  clock.set_wall(WallTime{});
  EXPECT_EQ(clock.wall_now(), WallTime{});
  EXPECT_EQ(clock.steady_now() - steady, 90min + 250ms) << "set_wall leaves steady time alone";
}

TEST(SystemClock, IsMonotonicAndCurrent) {
  const auto& c = SystemClock::instance();
  EXPECT_EQ(&c, &SystemClock::instance());
  const auto a = c.steady_now();
  const auto b = c.steady_now();
  EXPECT_LE(a, b);
  EXPECT_GT(c.wall_now(), at(sys_days{2024y / 1 / 1}, 0ms));
}

} // namespace
} // namespace herald::core
