#include "notify/undelivered_users.hpp"

namespace herald::notify {

void UndeliveredUsers::load(const std::vector<std::string>& users) {
  std::lock_guard lock(mutex_);
  ++generation_;
  for (const auto& u : users)
    marked_.try_emplace(u, generation_);
  loaded_ = true;
}

bool UndeliveredUsers::may_have(const std::string& user) const {
  std::lock_guard lock(mutex_);
  return !loaded_ || marked_.contains(user);
}

UndeliveredUsers::Generation UndeliveredUsers::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

void UndeliveredUsers::clear(const std::string& user, Generation since) {
  std::lock_guard lock(mutex_);
  auto it = marked_.find(user);
  if (it != marked_.end() && it->second <= since) marked_.erase(it);
}

} // namespace herald::notify
