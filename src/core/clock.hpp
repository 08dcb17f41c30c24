#pragma once
// Time as the rest of Herald sees it. Production code uses SystemClock; tests inject a
// ManualClock so that schedules (heartbeats, retries, token expiry) run without sleeping.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace herald::core {

using SteadyTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;
using Millis = std::chrono::milliseconds;

class Clock {
public:
  virtual ~Clock() = default;
  // Monotonic time, for deadlines.
  virtual SteadyTime steady_now() const = 0;
  // Wall-clock time, for timestamps that leave the process.
  virtual WallTime wall_now() const = 0;
};

class SystemClock final : public Clock {
public:
  SteadyTime steady_now() const override { return std::chrono::steady_clock::now(); }
  WallTime wall_now() const override { return std::chrono::system_clock::now(); }
  // The process-wide instance; stateless, so sharing it is safe.
  static const SystemClock& instance();
};

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
public:
  explicit ManualClock(WallTime start = WallTime{} + std::chrono::hours(24 * 365 * 50))
      : wall_(start.time_since_epoch().count()) {}
  SteadyTime steady_now() const override { return SteadyTime{SteadyTime::duration{steady_.load()}}; }
  WallTime wall_now() const override { return WallTime{WallTime::duration{wall_.load()}}; }
  void advance(std::chrono::nanoseconds d) {
    steady_ += std::chrono::duration_cast<SteadyTime::duration>(d).count();
    wall_ += std::chrono::duration_cast<WallTime::duration>(d).count();
  }
  void set_wall(WallTime t) { wall_ = t.time_since_epoch().count(); }

private:
  std::atomic<int64_t> steady_{1'000'000'000};
  std::atomic<int64_t> wall_;
};

// "2026-11-26T10:46:56.123Z": the one format of every time Herald sends.
std::string format_iso8601(WallTime t);
// Seconds since the Unix epoch.
int64_t unix_seconds(WallTime t);

} // namespace herald::core
