#include "store/job_queue.hpp"

namespace herald::store {

std::unique_ptr<Job> JobQueue::push(std::unique_ptr<Job> job) {
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

bool JobQueue::pop_batch(std::vector<std::unique_ptr<Job>>& out, std::size_t max) {
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

void JobQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
}

} // namespace herald::store
