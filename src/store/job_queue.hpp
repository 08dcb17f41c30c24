#pragma once
// A bounded multi-producer queue of Jobs with one consumer that takes everything queued at
// once (the writer's group commit). Bounded so that a store that falls behind answers
// "unavailable" (503) instead of growing memory without limit. Jobs that are patient (see
// Patience) alone wait until the earliest of their lingers ends, or until `lazy_batch` are
// queued, before the consumer takes them; any other job takes them along at once, in order.

#include "store/job.hpp"

#include <algorithm>
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
  using Clock = std::chrono::steady_clock;

  explicit JobQueue(std::size_t capacity, std::chrono::microseconds linger = {}, std::size_t lazy_batch = 256,
                    std::chrono::microseconds bulk_linger = {})
      : capacity_(capacity), linger_(linger), lazy_batch_(lazy_batch), bulk_linger_(bulk_linger) {}

  // Queues the job; gives it back when the queue is full or closed (the caller rejects it
  // outside the lock, so no callback runs while the lock is held).
  JobPtr push(JobPtr job) {
    bool wake = true;
    {
      std::lock_guard lock(mutex_);
      if (closed_ || jobs_.size() >= capacity_) return job;
      const auto wait = linger_of(*job);
      if (wait.count() > 0) {
        // The consumer needs a wake-up only to start a linger, to end one sooner, or for a
        // full batch.
        const auto due = Clock::now() + wait;
        wake = due < due_ || jobs_.size() + 1 == lazy_batch_;
        due_ = std::min(due_, due);
      } else {
        ++eager_;
      }
      jobs_.push_back(std::move(job));
    }
    if (wake) ready_.notify_one();
    return nullptr;
  }

  // Blocks until jobs are ready or the queue is closed; appends at most `max` jobs to
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
      if (ready_.wait_until(lock, due_) == std::cv_status::timeout) break;
    }
    while (!jobs_.empty() && out.size() < max) {
      if (linger_of(*jobs_.front()).count() == 0) --eager_;
      out.push_back(std::move(jobs_.front()));
      jobs_.pop_front();
    }
    // Jobs left behind by `max` have waited long enough: they go with the next batch.
    due_ = jobs_.empty() ? Clock::time_point::max() : Clock::time_point::min();
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
  std::chrono::microseconds linger_of(const Job<Conn>& job) const {
    switch (job.patience()) {
    case Patience::lazy:
      return linger_;
    case Patience::bulk:
      return bulk_linger_;
    case Patience::none:
      break;
    }
    return {};
  }

  const std::size_t capacity_;
  const std::chrono::microseconds linger_;
  const std::size_t lazy_batch_;
  const std::chrono::microseconds bulk_linger_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<JobPtr> jobs_;
  std::size_t eager_ = 0;                            // queued jobs that wait for nobody
  Clock::time_point due_ = Clock::time_point::max(); // when the queued patient jobs must go
  bool closed_ = false;
};

} // namespace herald::store
