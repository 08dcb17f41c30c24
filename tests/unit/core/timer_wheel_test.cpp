#include "core/clock.hpp"
#include "core/timer_wheel.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <vector>

namespace herald::core {
namespace {

using namespace std::chrono_literals;

// Records when the wheel fired it (the manual clock's time) and runs an optional action.
class Probe final : public TimedEntry {
public:
  explicit Probe(const ManualClock& clock) : clock_(clock) {}
  std::vector<SteadyTime> fired;
  std::function<void(Probe&)> action;

private:
  void on_timer() override {
    fired.push_back(clock_.steady_now());
    if (action) action(*this);
  }
  const ManualClock& clock_;
};

// A wheel driven only by advance_to, as every test here uses it.
struct WheelTest : ::testing::Test {
  static constexpr Millis kTick{10};
  static constexpr std::size_t kSlots = 64; // one revolution = 640 ms
  ManualClock clock;
  TimerWheel wheel{nullptr, clock, kTick, kSlots};

  void step(std::chrono::nanoseconds d) {
    clock.advance(d);
    wheel.advance_to(clock.steady_now());
  }
  // Walks the clock forward in `granularity` steps for `total`.
  void walk(std::chrono::nanoseconds total, std::chrono::nanoseconds granularity = 1ms) {
    for (std::chrono::nanoseconds t{0}; t < total; t += granularity)
      step(granularity);
  }
};

TEST_F(WheelTest, FiresAtOrAfterDeadlineNeverEarly) {
  const std::chrono::nanoseconds revolution = kTick * kSlots;
  const std::vector<std::chrono::nanoseconds> offsets = {0ns,
                                                         1ns,
                                                         1ms,
                                                         9ms,
                                                         10ms,
                                                         10ms + 1ns,
                                                         11ms,
                                                         25ms,
                                                         99ms + 999us,
                                                         100ms,
                                                         revolution - 1ms,
                                                         revolution,
                                                         revolution + 1ms,
                                                         revolution + kTick,
                                                         3 * revolution + 7ms,
                                                         10 * revolution};
  for (const auto offset : offsets) {
    SCOPED_TRACE(::testing::Message() << "offset ns " << offset.count());
    ManualClock c;
    TimerWheel w(nullptr, c, kTick, kSlots);
    Probe p(c);
    const SteadyTime deadline = c.steady_now() + offset;
    w.schedule(p, deadline);
    EXPECT_TRUE(p.scheduled());
    EXPECT_EQ(w.size(), 1u);
    const SteadyTime give_up = deadline + 3 * kTick;
    while (p.fired.empty() && c.steady_now() < give_up) {
      c.advance(1ms);
      w.advance_to(c.steady_now());
    }
    ASSERT_EQ(p.fired.size(), 1u);
    EXPECT_GE(p.fired[0], deadline);
    // Rounded up to a tick, seen at the next 1 ms step at the latest.
    EXPECT_LE(p.fired[0], deadline + kTick + 1ms);
    EXPECT_FALSE(p.scheduled());
    EXPECT_EQ(w.size(), 0u);
    // Fires once only.
    for (int i = 0; i < 200; ++i) {
      c.advance(5ms);
      w.advance_to(c.steady_now());
    }
    EXPECT_EQ(p.fired.size(), 1u);
  }
}

TEST_F(WheelTest, AdvanceToAnEarlierOrEqualTimeFiresNothing) {
  Probe p(clock);
  const auto start = clock.steady_now();
  wheel.schedule(p, start + 50ms);
  wheel.advance_to(start);
  wheel.advance_to(start - 1h);
  wheel.advance_to(start + 49ms);
  EXPECT_TRUE(p.fired.empty());
  wheel.advance_to(start + 50ms);
  EXPECT_EQ(p.fired.size(), 1u);
}

TEST_F(WheelTest, DeadlineInThePastFiresOnTheNextTick) {
  walk(100ms);
  Probe p(clock);
  wheel.schedule(p, clock.steady_now() - 1s);
  wheel.advance_to(clock.steady_now()); // same instant: the tick has not passed yet
  EXPECT_TRUE(p.fired.empty());
  step(kTick);
  EXPECT_EQ(p.fired.size(), 1u);
}

TEST_F(WheelTest, OneBigJumpFiresEverythingDue) {
  std::vector<std::unique_ptr<Probe>> probes;
  for (int i = 0; i < 50; ++i) {
    probes.push_back(std::make_unique<Probe>(clock));
    wheel.schedule(*probes.back(), clock.steady_now() + i * 37ms);
  }
  Probe late(clock);
  wheel.schedule(late, clock.steady_now() + 1h);
  step(50 * 37ms);
  for (auto& p : probes)
    EXPECT_EQ(p->fired.size(), 1u);
  EXPECT_TRUE(late.fired.empty());
  EXPECT_EQ(wheel.size(), 1u);
  step(1h);
  EXPECT_EQ(late.fired.size(), 1u);
}

TEST_F(WheelTest, RescheduleReplacesTheEarlierDeadline) {
  Probe p(clock);
  const auto start = clock.steady_now();
  wheel.schedule(p, start + 100ms);
  wheel.schedule(p, start + 50ms); // earlier
  EXPECT_EQ(wheel.size(), 1u);
  walk(60ms);
  ASSERT_EQ(p.fired.size(), 1u);
  EXPECT_GE(p.fired[0], start + 50ms);
  walk(100ms);
  EXPECT_EQ(p.fired.size(), 1u) << "the replaced 100 ms schedule must not fire";

  const auto now = clock.steady_now();
  wheel.schedule(p, now + 30ms);
  wheel.schedule(p, now + 200ms); // later
  EXPECT_EQ(wheel.size(), 1u);
  walk(190ms);
  EXPECT_EQ(p.fired.size(), 1u);
  walk(20ms);
  ASSERT_EQ(p.fired.size(), 2u);
  EXPECT_GE(p.fired[1], now + 200ms);
}

TEST_F(WheelTest, RescheduleIntoAnotherRevolutionOfTheSameSlot) {
  Probe p(clock);
  const auto start = clock.steady_now();
  wheel.schedule(p, start + 20ms);
  wheel.schedule(p, start + 20ms + kTick * kSlots); // same slot, one revolution later
  walk(kTick * kSlots);
  EXPECT_TRUE(p.fired.empty());
  walk(30ms);
  ASSERT_EQ(p.fired.size(), 1u);
  EXPECT_GE(p.fired[0], start + 20ms + kTick * kSlots);
}

TEST_F(WheelTest, CancelStopsTheEntry) {
  Probe p(clock);
  Probe other(clock);
  wheel.schedule(p, clock.steady_now() + 30ms);
  wheel.schedule(other, clock.steady_now() + 30ms);
  EXPECT_EQ(wheel.size(), 2u);
  wheel.cancel(p);
  EXPECT_FALSE(p.scheduled());
  EXPECT_EQ(wheel.size(), 1u);
  wheel.cancel(p); // twice: harmless
  EXPECT_EQ(wheel.size(), 1u);
  walk(100ms);
  EXPECT_TRUE(p.fired.empty());
  EXPECT_EQ(other.fired.size(), 1u);
  // A cancelled entry can be scheduled again.
  wheel.schedule(p, clock.steady_now() + 10ms);
  walk(20ms);
  EXPECT_EQ(p.fired.size(), 1u);
}

TEST_F(WheelTest, CancelOnAnotherWheelIsIgnored) {
  TimerWheel second(nullptr, clock, kTick, kSlots);
  Probe p(clock);
  wheel.schedule(p, clock.steady_now() + 30ms);
  second.cancel(p);
  EXPECT_TRUE(p.scheduled());
  EXPECT_EQ(wheel.size(), 1u);
  EXPECT_EQ(second.size(), 0u);
  walk(40ms);
  EXPECT_EQ(p.fired.size(), 1u);
}

TEST_F(WheelTest, ManyEntriesInOneSlot) {
  // Same deadline, and the same slot a revolution or two later: one list.
  const auto start = clock.steady_now();
  const auto revolution = kTick * kSlots;
  std::vector<std::unique_ptr<Probe>> now_due, next_rev, two_revs;
  for (int i = 0; i < 100; ++i) {
    now_due.push_back(std::make_unique<Probe>(clock));
    next_rev.push_back(std::make_unique<Probe>(clock));
    two_revs.push_back(std::make_unique<Probe>(clock));
    // Interleave so the slot's list mixes the three groups.
    wheel.schedule(*now_due.back(), start + 50ms);
    wheel.schedule(*next_rev.back(), start + 50ms + revolution);
    wheel.schedule(*two_revs.back(), start + 50ms + 2 * revolution);
  }
  EXPECT_EQ(wheel.size(), 300u);
  // Unlink from the head, the middle and the tail of the list.
  wheel.cancel(*two_revs.back()); // scheduled last: the head
  wheel.cancel(*now_due.front()); // scheduled first: the tail
  wheel.cancel(*next_rev[50]);
  EXPECT_EQ(wheel.size(), 297u);

  walk(60ms);
  for (std::size_t i = 0; i < 100; ++i) {
    EXPECT_EQ(now_due[i]->fired.size(), i == 0 ? 0u : 1u) << i;
    EXPECT_TRUE(next_rev[i]->fired.empty()) << i;
  }
  EXPECT_EQ(wheel.size(), 198u);
  walk(revolution);
  for (std::size_t i = 0; i < 100; ++i) {
    EXPECT_EQ(next_rev[i]->fired.size(), i == 50 ? 0u : 1u) << i;
    EXPECT_TRUE(two_revs[i]->fired.empty()) << i;
  }
  walk(revolution);
  for (std::size_t i = 0; i < 100; ++i) {
    EXPECT_EQ(two_revs[i]->fired.size(), i == 99 ? 0u : 1u) << i;
    if (!two_revs[i]->fired.empty()) {
      EXPECT_GE(two_revs[i]->fired[0], start + 50ms + 2 * revolution);
    }
  }
  EXPECT_EQ(wheel.size(), 0u);
}

TEST_F(WheelTest, EntryReschedulesItselfFromOnTimer) {
  Probe p(clock);
  const auto start = clock.steady_now();
  p.action = [this](Probe& self) { wheel.schedule(self, clock.steady_now() + 30ms); };
  wheel.schedule(p, start + 30ms);
  walk(1000ms);
  // Every 30 ms (the clock moves in 1 ms steps, and each fire rounds up to a tick).
  ASSERT_GE(p.fired.size(), 30u);
  EXPECT_LE(p.fired.size(), 34u);
  for (std::size_t i = 1; i < p.fired.size(); ++i)
    EXPECT_GE(p.fired[i] - p.fired[i - 1], 30ms);
  EXPECT_TRUE(p.scheduled());
  EXPECT_EQ(wheel.size(), 1u);
}

TEST_F(WheelTest, RescheduleToAnAlreadyDueDeadlineWaitsForTheNextTick) {
  // An entry that keeps asking for "now" must not spin inside one advance_to: it fires
  // once per tick that passes.
  Probe p(clock);
  p.action = [this](Probe& self) { wheel.schedule(self, clock.steady_now() - 1s); };
  wheel.schedule(p, clock.steady_now());
  for (std::size_t i = 1; i <= 5; ++i) {
    step(kTick);
    EXPECT_EQ(p.fired.size(), i);
  }
  // A big jump still fires it once, then it waits for the tick after the jump.
  step(1s);
  EXPECT_EQ(p.fired.size(), 6u);
  wheel.advance_to(clock.steady_now());
  EXPECT_EQ(p.fired.size(), 6u);
  step(kTick);
  EXPECT_EQ(p.fired.size(), 7u);
}

TEST_F(WheelTest, EntryCancelsItselfFromOnTimer) {
  Probe p(clock);
  p.action = [this](Probe& self) {
    wheel.schedule(self, clock.steady_now() + 10ms);
    wheel.cancel(self);
  };
  wheel.schedule(p, clock.steady_now() + 10ms);
  walk(100ms);
  EXPECT_EQ(p.fired.size(), 1u);
  EXPECT_EQ(wheel.size(), 0u);
}

TEST_F(WheelTest, OnTimerSchedulesADifferentEntry) {
  Probe first(clock), second(clock);
  first.action = [&](Probe&) { wheel.schedule(second, clock.steady_now() + 20ms); };
  wheel.schedule(first, clock.steady_now() + 10ms);
  walk(15ms);
  EXPECT_EQ(first.fired.size(), 1u);
  EXPECT_TRUE(second.scheduled());
  walk(30ms);
  ASSERT_EQ(second.fired.size(), 1u);
  EXPECT_GE(second.fired[0], first.fired[0] + 20ms);
}

// Callbacks touching other entries due in the same tick. advance_to collects a tick's due
// entries before running any callback; these once went wrong when that list was threaded
// through the entries' own `next_` links and the collected entries counted as unscheduled.

// The first to fire cancels the other: a cancelled entry must not fire (it used to, as
// cancel() saw an unscheduled entry and did nothing).
TEST_F(WheelTest, CancelFromAnotherCallbackInTheSameTick) {
  Probe a(clock), b(clock);
  a.action = [&](Probe&) { wheel.cancel(b); };
  b.action = [&](Probe&) { wheel.cancel(a); };
  wheel.schedule(a, clock.steady_now() + 10ms);
  wheel.schedule(b, clock.steady_now() + 10ms);
  walk(20ms);
  EXPECT_EQ(a.fired.size() + b.fired.size(), 1u) << "whichever fired first cancelled the other";
}

// The first reschedules the others a second later: each fires once, at its new deadline
// (the next one used to fire at once as well, link() having overwritten the due list).
TEST_F(WheelTest, RescheduleFromAnotherCallbackInTheSameTick) {
  std::vector<std::unique_ptr<Probe>> probes;
  for (int i = 0; i < 4; ++i)
    probes.push_back(std::make_unique<Probe>(clock));
  bool moved = false;
  for (auto& p : probes) {
    p->action = [&](Probe& self) {
      if (moved) return;
      moved = true;
      for (auto& other : probes)
        if (other.get() != &self && other->fired.empty()) wheel.schedule(*other, clock.steady_now() + 1s);
    };
    wheel.schedule(*p, clock.steady_now() + 10ms);
  }
  walk(20ms);
  std::size_t fired = 0, pending = 0;
  for (auto& p : probes) {
    fired += p->fired.size();
    pending += p->scheduled() ? 1 : 0;
  }
  EXPECT_EQ(fired, 1u);
  EXPECT_EQ(pending, 3u);
  EXPECT_EQ(wheel.size(), 3u);
  walk(1s);
  fired = 0;
  for (auto& p : probes)
    fired += p->fired.size();
  EXPECT_EQ(fired, 4u);
}

// As above, with two bystanders already waiting in the slot the moved entries go to (the
// old due-list walk followed the moved entry into that slot, fired the bystanders ~1 s
// early and cut the slot's list, so that size() never got back to 0).
TEST_F(WheelTest, RescheduleFromAnotherCallbackDoesNotFireBystanders) {
  const auto start = clock.steady_now();
  Probe x(clock), y(clock);
  wheel.schedule(x, start + 1s);
  wheel.schedule(y, start + 1s);
  std::vector<std::unique_ptr<Probe>> probes;
  for (int i = 0; i < 4; ++i)
    probes.push_back(std::make_unique<Probe>(clock));
  bool moved = false;
  for (auto& p : probes) {
    p->action = [&](Probe& self) {
      if (moved) return;
      moved = true;
      for (auto& other : probes)
        if (other.get() != &self && other->fired.empty()) wheel.schedule(*other, start + 1s);
    };
    wheel.schedule(*p, start + 10ms);
  }
  walk(20ms);
  EXPECT_TRUE(x.fired.empty());
  EXPECT_TRUE(y.fired.empty());
  EXPECT_EQ(wheel.size(), 5u);
  walk(1s);
  EXPECT_EQ(x.fired.size(), 1u);
  EXPECT_EQ(y.fired.size(), 1u);
  EXPECT_EQ(wheel.size(), 0u);
}

// The first destroys the others: they must not fire, and nothing touches freed memory.
TEST_F(WheelTest, DestroyFromAnotherCallbackInTheSameTick) {
  std::vector<std::unique_ptr<Probe>> probes;
  int fired = 0;
  for (int i = 0; i < 4; ++i)
    probes.push_back(std::make_unique<Probe>(clock));
  for (auto& p : probes) {
    p->action = [&](Probe& self) {
      ++fired;
      for (auto& other : probes)
        if (other.get() != &self) other.reset();
    };
    wheel.schedule(*p, clock.steady_now() + 10ms);
  }
  walk(20ms);
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(wheel.size(), 0u);
}

TEST_F(WheelTest, DestroyingAScheduledEntryUnlinksIt) {
  auto doomed = std::make_unique<Probe>(clock);
  Probe before(clock), after(clock);
  // All three in one slot, `doomed` in the middle of the list.
  wheel.schedule(before, clock.steady_now() + 40ms);
  wheel.schedule(*doomed, clock.steady_now() + 40ms);
  wheel.schedule(after, clock.steady_now() + 40ms);
  EXPECT_EQ(wheel.size(), 3u);
  doomed.reset();
  EXPECT_EQ(wheel.size(), 2u);
  walk(50ms); // would touch freed memory under ASan if still linked
  EXPECT_EQ(before.fired.size(), 1u);
  EXPECT_EQ(after.fired.size(), 1u);
  EXPECT_EQ(wheel.size(), 0u);
}

TEST_F(WheelTest, EntryOutlivesItsWheel) {
  Probe p(clock);
  {
    TimerWheel short_lived(nullptr, clock, kTick, kSlots);
    short_lived.schedule(p, clock.steady_now() + 10ms);
    EXPECT_TRUE(p.scheduled());
  }
  EXPECT_FALSE(p.scheduled()); // and ~Probe must not touch the dead wheel
}

TEST_F(WheelTest, IdleWheelCatchesUpWithoutFiringEarly) {
  // Nobody called advance_to for an hour: a new entry still waits for its own deadline.
  clock.advance(1h);
  Probe p(clock);
  const auto deadline = clock.steady_now() + 25ms;
  wheel.schedule(p, deadline);
  wheel.advance_to(clock.steady_now());
  EXPECT_TRUE(p.fired.empty());
  walk(40ms);
  ASSERT_EQ(p.fired.size(), 1u);
  EXPECT_GE(p.fired[0], deadline);
  EXPECT_LE(p.fired[0], deadline + kTick + 1ms);
}

TEST_F(WheelTest, DefaultGeometry) {
  // Production geometry: 10 ms x 1024 slots; a 45 s deadline is several revolutions away.
  TimerWheel w(nullptr, clock);
  Probe p(clock);
  const auto deadline = clock.steady_now() + 45s;
  w.schedule(p, deadline);
  EXPECT_EQ(&w.clock(), &clock);
  for (int i = 0; i < 4499; ++i) {
    clock.advance(10ms);
    w.advance_to(clock.steady_now());
  }
  EXPECT_TRUE(p.fired.empty());
  clock.advance(10ms);
  w.advance_to(clock.steady_now());
  ASSERT_EQ(p.fired.size(), 1u);
  EXPECT_EQ(p.fired[0], deadline);
}

} // namespace
} // namespace herald::core
