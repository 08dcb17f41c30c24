#pragma once
// SPEC section 6, per user and shared by every loop: how many connections a user holds,
// who is banned and until when, and the refusals that lead to a ban. A mutex guards it:
// it is touched once per connect and disconnect, never per message.

#include "core/clock.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace herald::realtime {

struct LimitOptions {
  uint32_t max_connections_per_user = 100;
  uint32_t max_events_per_minute = 1000;
  std::chrono::milliseconds ban_duration{300'000};
};

class UserLimits {
public:
  UserLimits(LimitOptions options, const core::Clock& clock) : options_(options), clock_(clock) {}

  enum class Admission { admitted, too_many, banned };
  struct Verdict {
    Admission admission = Admission::admitted;
    int64_t retry_after_seconds = 0; // banned: whole seconds until the ban ends
    // admitted: the user id as the entry keeps it, alive until the matching release()
    const std::string* user = nullptr;
  };
  // Counts a new connection of `user` unless the user is banned or at the limit. Ten
  // too_many refusals within a minute ban the user.
  Verdict admit(const std::string& user);
  // A connection counted by admit() ended.
  void release(const std::string& user);
  // Bans `user` for ban_duration (a connection that kept flooding).
  void ban(const std::string& user);
  const LimitOptions& options() const { return options_; }

private:
  // A ban and the too_many refusals of the last minute, while there are any: behind a
  // pointer, as every connected user has an entry and few are ever refused or banned.
  struct Trouble {
    core::SteadyTime banned_until{};
    std::vector<core::SteadyTime> refusals;
  };
  struct Entry {
    uint32_t connections = 0;
    std::unique_ptr<Trouble> trouble;
  };
  // noexcept, so that nodes do not cache the hash: with the small Entry, a user's node
  // takes 64 bytes of heap instead of 80.
  struct Hash {
    std::size_t operator()(const std::string& s) const noexcept { return std::hash<std::string>{}(s); }
  };
  int64_t seconds_left(const Entry& e, core::SteadyTime now) const;
  bool banned(const Entry& e, core::SteadyTime now) const {
    return e.trouble && e.trouble->banned_until > now;
  }

  LimitOptions options_;
  const core::Clock& clock_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry, Hash> users_;
};

// The event budget of one connection: a fixed one-minute window.
class EventBudget {
public:
  enum class Outcome { allowed, dropped, exhausted };
  // Counts one event at `now`. dropped past the limit; exhausted once as many again
  // have been dropped within the same minute (the connection is then banned).
  Outcome spend(core::SteadyTime now, uint32_t limit);
  // Seconds until the window resets.
  int64_t retry_after(core::SteadyTime now) const;

private:
  core::SteadyTime window_start_{};
  uint32_t used_ = 0;
};

} // namespace herald::realtime
