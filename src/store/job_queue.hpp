#pragma once
// A bounded multi-producer queue of Jobs with one consumer that takes everything queued at
// once (the writer's group commit). Bounded so that a store that falls behind answers
// "unavailable" (503) instead of growing memory without limit.

#include "store/job.hpp"

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace herald::store {

class JobQueue {
public:
  explicit JobQueue(std::size_t capacity) : capacity_(capacity) {}

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
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::unique_ptr<Job>> jobs_;
  bool closed_ = false;
};

} // namespace herald::store
