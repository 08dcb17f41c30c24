#include "store/job_queue.hpp"

namespace herald::store {

std::unique_ptr<Job> JobQueue::push(std::unique_ptr<Job> job) {
  {
    std::lock_guard lock(mutex_);
    if (closed_ || jobs_.size() >= capacity_) return job;
    jobs_.push_back(std::move(job));
  }
  ready_.notify_one();
  return nullptr;
}

bool JobQueue::pop_batch(std::vector<std::unique_ptr<Job>>& out, std::size_t max) {
  std::unique_lock lock(mutex_);
  ready_.wait(lock, [&] { return closed_ || !jobs_.empty(); });
  if (jobs_.empty()) return false;
  while (!jobs_.empty() && out.size() < max) {
    out.push_back(std::move(jobs_.front()));
    jobs_.pop_front();
  }
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
