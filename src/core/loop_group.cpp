#include "core/loop_group.hpp"

#include "core/thread_name.hpp"

#include <spdlog/spdlog.h>

namespace herald::core {
namespace {
thread_local std::size_t t_loop_index = LoopGroup::npos;
}

LoopGroup::LoopGroup(std::size_t count) {
  if (count == 0) count = 1;
  for (std::size_t i = 0; i < count; ++i) {
    // Concurrency hint 1: each context is run by one thread, so Asio can skip locking.
    loops_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.push_back(
        std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
            loops_.back()->get_executor()));
  }
}

LoopGroup::~LoopGroup() {
  stop();
  join();
}

void LoopGroup::start() {
  for (std::size_t i = 0; i < loops_.size(); ++i) {
    threads_.emplace_back([this, i] {
      t_loop_index = i;
      name_this_thread("herald-loop-" + std::to_string(i));
      for (;;) {
        try {
          loops_[i]->run();
          break;
        } catch (const std::exception& e) {
          // A handler must not throw; log and keep the loop alive for everyone else.
          spdlog::error("loop {}: unhandled exception: {}", i, e.what());
        }
      }
    });
  }
}

void LoopGroup::stop() {
  guards_.clear();
  for (auto& loop : loops_)
    loop->stop();
}

void LoopGroup::join() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

std::size_t LoopGroup::current_index() { return t_loop_index; }

} // namespace herald::core
