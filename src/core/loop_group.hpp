#pragma once
// N event loops, each an io_context run by exactly one thread (DESIGN section 4).
// Everything that belongs to a loop (sessions, rooms, timers) is touched only from it.

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace herald::core {

class LoopGroup {
public:
  explicit LoopGroup(std::size_t count);
  ~LoopGroup();
  LoopGroup(const LoopGroup&) = delete;
  LoopGroup& operator=(const LoopGroup&) = delete;

  std::size_t size() const { return loops_.size(); }
  boost::asio::io_context& loop(std::size_t index) { return *loops_[index]; }

  // Starts one thread per loop. Returns at once.
  void start();
  // Asks every loop to stop and joins the threads. Idempotent.
  void stop();
  // Blocks until every loop thread has ended.
  void join();

  // Runs `fn` on loop `index`.
  template <class Fn> void post(std::size_t index, Fn&& fn) {
    boost::asio::post(*loops_[index], std::forward<Fn>(fn));
  }

  // Index of the loop the calling thread runs, or npos off-loop.
  static std::size_t current_index();
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

private:
  std::vector<std::unique_ptr<boost::asio::io_context>> loops_;
  std::vector<std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>>
      guards_;
  std::vector<std::thread> threads_;
};

} // namespace herald::core
