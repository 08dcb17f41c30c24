#pragma once
// A bounded multi-producer queue of Jobs with one consumer that takes everything queued at
// once (the writer's group commit). Bounded so that a store that falls behind answers
// "unavailable" (503) instead of growing memory without limit. Lazy jobs alone wait up to
// `linger` (or until `lazy_batch` are queued) before the consumer takes them; any other
// job takes them along at once, in order.

#include "store/job.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace herald::store {

class JobQueue {
public:
  explicit JobQueue(std::size_t capacity, std::chrono::microseconds linger = {}, std::size_t lazy_batch = 256)
      : capacity_(capacity), linger_(linger), lazy_batch_(lazy_batch) {}

  // Queues the job; gives it back when the queue is full or closed (the caller rejects it
  // outside the lock, so no callback runs while the lock is held).
  std::unique_ptr<Job> push(std::unique_ptr<Job> job);
  // Blocks until jobs are queued or the queue is closed; appends at most `max` jobs to
  // `out`. false when closed and drained: the consumer exits.
  bool pop_batch(std::vector<std::unique_ptr<Job>>& out, std::size_t max);
  // Refuses new jobs; the consumer still drains what was accepted.
  void close();

private:
  const std::size_t capacity_;
  const std::chrono::microseconds linger_;
  const std::size_t lazy_batch_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::unique_ptr<Job>> jobs_;
  std::size_t eager_ = 0;                            // queued jobs that are not lazy
  std::chrono::steady_clock::time_point lazy_since_; // when the queue last went from empty to a lazy job
  bool closed_ = false;
};

} // namespace herald::store
