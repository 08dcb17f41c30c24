#include "realtime/user_limits.hpp"

namespace herald::realtime {
namespace {
constexpr auto kMinute = std::chrono::minutes(1);
constexpr std::size_t kRefusalsBeforeBan = 10;
} // namespace

int64_t UserLimits::seconds_left(const Entry& e, core::SteadyTime now) const {
  if (!e.trouble) return 0;
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(e.trouble->banned_until - now).count();
  return left <= 0 ? 0 : (left + 999) / 1000;
}

UserLimits::Verdict UserLimits::admit(const std::string& user) {
  const auto now = clock_.steady_now();
  std::lock_guard lock(mutex_);
  auto& [key, e] = *users_.try_emplace(user).first;
  if (banned(e, now)) return {Admission::banned, seconds_left(e, now)};
  if (e.connections >= options_.max_connections_per_user) {
    if (!e.trouble) e.trouble = std::make_unique<Trouble>();
    auto& refusals = e.trouble->refusals;
    std::erase_if(refusals, [&](core::SteadyTime t) { return now - t > kMinute; });
    refusals.push_back(now);
    if (refusals.size() >= kRefusalsBeforeBan) {
      refusals = {};
      e.trouble->banned_until = now + options_.ban_duration;
    }
    return {Admission::too_many, 0};
  }
  ++e.connections;
  return {Admission::admitted, 0, &key};
}

void UserLimits::release(const std::string& user) {
  const auto now = clock_.steady_now();
  std::lock_guard lock(mutex_);
  auto it = users_.find(user);
  if (it == users_.end()) return;
  auto& e = it->second;
  if (e.connections > 0) --e.connections;
  // Forget idle users so the map does not grow with every user ever seen.
  if (e.trouble && !banned(e, now) && e.trouble->refusals.empty()) e.trouble.reset();
  if (e.connections == 0 && !e.trouble) users_.erase(it);
}

void UserLimits::ban(const std::string& user) {
  const auto now = clock_.steady_now();
  std::lock_guard lock(mutex_);
  auto& e = users_[user];
  if (!e.trouble) e.trouble = std::make_unique<Trouble>();
  e.trouble->banned_until = now + options_.ban_duration;
}

EventBudget::Outcome EventBudget::spend(core::SteadyTime now, uint32_t limit) {
  if (used_ == 0 || now - window_start_ >= kMinute) {
    window_start_ = now;
    used_ = 0;
  }
  ++used_;
  if (used_ <= limit) return Outcome::allowed;
  if (used_ - limit >= limit) return Outcome::exhausted;
  return Outcome::dropped;
}

int64_t EventBudget::retry_after(core::SteadyTime now) const {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(window_start_ + kMinute - now).count();
  return left <= 0 ? 0 : (left + 999) / 1000;
}

} // namespace herald::realtime
