#pragma once
// Which users may have undelivered (pending or failed) records: a superset, so that a
// connecting user known to have none costs no store query (the redelivery of SPEC 5 asks
// the store once per connect otherwise, and a reconnect storm is 19,000 connects).
//
// A user is marked when records are created for them, before the emit; a redelivery query
// that finds nothing clears the mark unless a newer mark came meanwhile. Until the store's
// list has been loaded at start, every user counts as marked.

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace herald::notify {

class UndeliveredUsers {
public:
  // A token taken before a query: clear() ignores a user marked after it.
  using Generation = std::uint64_t;

  // The users with undelivered records in the store, at start.
  void load(const std::vector<std::string>& users);
  template <class Range, class Project> void mark_all(const Range& range, Project user_of) {
    std::lock_guard lock(mutex_);
    ++generation_;
    for (const auto& item : range)
      marked_.insert_or_assign(user_of(item), generation_);
  }
  // False only when the user is known to have nothing undelivered.
  bool may_have(const std::string& user) const;
  Generation generation() const;
  // The store found nothing undelivered for `user` in a query started at `since`.
  void clear(const std::string& user, Generation since);

private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Generation> marked_;
  Generation generation_ = 0;
  bool loaded_ = false;
};

} // namespace herald::notify
