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

template <class Conn> class JobQueue {
public:
  using JobPtr = std::unique_ptr<Job<Conn>>;

  explicit JobQueue(std::size_t capacity, std::chrono::microseconds linger = {}, std::size_t lazy_batch = 256)
      : capacity_(capacity), linger_(linger), lazy_batch_(lazy_batch) {}

  // Queues the job; gives it back when the queue is full or closed (the caller rejects it
  // outside the lock, so no callback runs while the lock is held).
  JobPtr push(JobPtr job) {
    bool wake = true;
    {
      std::lock_guard lock(mutex_);
      if (closed_ || jobs_.size() >= capacity_) return job;
      const bool lazy = job->lazy() && linger_.count() > 0;
      if (lazy) {
        // The consumer needs a wake-up only to start its linger, or to end it early.
        if (jobs_.empty()) lazy_since_ = std::chrono::steady_clock::now();
        wake = jobs_.empty() || jobs_.size() + 1 == lazy_batch_;
      } else {
        ++eager_;
      }
      jobs_.push_back(std::move(job));
    }
    if (wake) ready_.notify_one();
    return nullptr;
  }

  // Blocks until jobs are queued or the queue is closed; appends at most `max` jobs to
  // `out`. false when closed and drained: the consumer exits.
  bool pop_batch(std::vector<JobPtr>& out, std::size_t max) {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (jobs_.empty()) {
        if (closed_) return false;
        ready_.wait(lock);
        continue;
      }
      if (closed_ || eager_ > 0 || jobs_.size() >= lazy_batch_) break;
      if (ready_.wait_until(lock, lazy_since_ + linger_) == std::cv_status::timeout) break;
    }
    while (!jobs_.empty() && out.size() < max) {
      if (!jobs_.front()->lazy() || linger_.count() == 0) --eager_;
      out.push_back(std::move(jobs_.front()));
      jobs_.pop_front();
    }
    // Lazy jobs left behind by `max` have waited long enough: they go with the next batch.
    if (!jobs_.empty()) lazy_since_ = {};
    return true;
  }

  // Refuses new jobs; the consumer still drains what was accepted.
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }

private:
  const std::size_t capacity_;
  const std::chrono::microseconds linger_;
  const std::size_t lazy_batch_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<JobPtr> jobs_;
  std::size_t eager_ = 0;                            // queued jobs that are not lazy
  std::chrono::steady_clock::time_point lazy_since_; // when the queue last went from empty to a lazy job
  bool closed_ = false;
};

} // namespace herald::store
