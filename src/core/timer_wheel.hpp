#pragma once
// A hashed timing wheel: one per loop, shared by every session of that loop, so that
// 19,000 heartbeats cost one Asio timer instead of 19,000 (DESIGN section 4).
// Entries are intrusive: scheduling allocates nothing.

#include "core/clock.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <vector>

namespace herald::core {

class TimerWheel;

// Derive from this to be schedulable. A destroyed entry unlinks itself.
class TimedEntry {
public:
  TimedEntry() = default;
  TimedEntry(const TimedEntry&) = delete;
  TimedEntry& operator=(const TimedEntry&) = delete;
  virtual ~TimedEntry();
  bool scheduled() const { return wheel_ != nullptr && !firing_; }

protected:
  // Runs on the wheel's loop when the deadline has passed. May reschedule itself.
  virtual void on_timer() = 0;

private:
  friend class TimerWheel;
  TimedEntry* prev_ = nullptr;
  TimedEntry* next_ = nullptr;
  // The wheel the entry is linked in or, with firing_, due in the current pass of (not yet
  // called). One pointer and a bit, not two pointers: 40 bytes instead of 48.
  TimerWheel* wheel_ = nullptr;
  uint64_t due_tick_ : 63 = 0;
  uint64_t firing_ : 1 = 0;
};

class TimerWheel {
public:
  // Without an io_context the wheel only moves through advance_to (for tests).
  TimerWheel(boost::asio::io_context* loop, const Clock& clock, Millis tick = Millis(10),
             std::size_t slots = 1024);
  ~TimerWheel();
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  // Fires `entry` at `deadline` (rounded up to the next tick). Replaces any earlier schedule.
  void schedule(TimedEntry& entry, SteadyTime deadline);
  void cancel(TimedEntry& entry);
  // Fires every entry due at `now`. Called by the loop's timer; tests call it directly.
  void advance_to(SteadyTime now);
  std::size_t size() const { return count_; }
  const Clock& clock() const { return clock_; }

private:
  uint64_t tick_of(SteadyTime t) const;
  void link(TimedEntry& entry);
  void unlink(TimedEntry& entry);
  // Drops `entry` from the current pass (it was rescheduled, cancelled or destroyed).
  void unfire(TimedEntry& entry);
  void arm();

  boost::asio::io_context* loop_;
  const Clock& clock_;
  Millis tick_;
  SteadyTime origin_;
  uint64_t current_tick_ = 0;
  std::vector<TimedEntry*> slots_; // heads of intrusive doubly-linked lists
  std::size_t count_ = 0;
  std::vector<TimedEntry*> firing_; // the current pass: callbacks may touch any entry
  std::unique_ptr<boost::asio::steady_timer> timer_;
  bool armed_ = false;
};

} // namespace herald::core
