#pragma once
// One WebSocket connection after the upgrade: reactor-style reads into the loop's shared
// buffer (nothing is allocated per idle connection), and corked writes: every frame queued
// during one loop iteration leaves in a single sendmsg.
//
// The socket is not an Asio object: each loop keeps one epoll set of its WebSockets, and
// only that set's descriptor is registered with Asio. An idle connection then costs a
// kernel epoll entry instead of Asio's descriptor state and a pending wait operation.

#include "transport/ws_frame.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace herald::transport {

// An encoded frame, immutable so that one broadcast frame can sit in many queues.
using SharedFrame = std::shared_ptr<const std::string>;

class WebSocketHandler {
public:
  virtual ~WebSocketHandler() = default;
  // A complete data message. `payload` is valid only during the call.
  virtual void on_ws_message(bool binary, std::string_view payload) = 0;
  // The connection is gone (close frame, error, or our own close). Called once.
  virtual void on_ws_closed() = 0;
};

struct WebSocketLimits {
  std::size_t max_message = 1'000'000;
  // A client that reads slower than we write is closed past this many queued bytes:
  // 4 MB holds a burst of thousands of notifications.
  std::size_t max_buffered = 4 * 1024 * 1024;
};

namespace detail {
class WebSocketPoller;
}

class WebSocket : public std::enable_shared_from_this<WebSocket> {
public:
  // Takes ownership of `fd`, a connected TCP socket; runs on `loop`'s thread.
  WebSocket(boost::asio::io_context& loop, int fd, WebSocketLimits limits);
  ~WebSocket();
  WebSocket(const WebSocket&) = delete;
  WebSocket& operator=(const WebSocket&) = delete;

  // Queues `handshake` (the 101 response) and starts reading. Runs on the socket's loop.
  void start(std::string handshake, WebSocketHandler* handler);
  // The handler receives nothing more after set_handler(nullptr).
  void set_handler(WebSocketHandler* handler) { handler_ = handler; }

  // Queue an encoded frame; it leaves with the next flush of this loop iteration.
  void send(SharedFrame frame);
  void send_text(std::string_view payload);
  void send_binary(std::string_view payload);
  // Sends a close frame, flushes, then closes the socket. Idempotent.
  void close(uint16_t code = ws::close_normal);
  bool is_open() const { return state_ == State::open; }
  std::size_t buffered_bytes() const { return buffered_; }
  boost::asio::io_context& loop();

  // Writes out what is queued; called by the loop's flush at the end of an iteration.
  void flush();

  // Internal: readiness reported by the loop's epoll set.
  void on_events(uint32_t events);

private:
  enum class State : uint8_t { open, closing, closed };
  // Bytes of an incomplete frame or message: allocated only while one is in flight.
  struct Incomplete {
    std::string partial; // an incomplete frame
    std::string message; // fragments of an incomplete message
    ws::Opcode opcode = ws::Opcode::continuation;
  };
  void on_readable();
  void consume(char* data, std::size_t size);
  void handle_frame(const ws::Frame& frame);
  void enqueue(SharedFrame frame);
  void fail(uint16_t code);
  void finish();
  Incomplete& incomplete();
  void drop_incomplete_if_empty();

  detail::WebSocketPoller& poller_;
  int fd_;
  State state_ = State::open;
  bool dirty_ = false;
  bool waiting_write_ = false;
  bool notified_ = false;
  WebSocketHandler* handler_ = nullptr;
  // 32-bit sizes (limits clamped to 2 GiB, far past any sane setting): a socket takes 16
  // bytes less, which brings its allocation down one malloc size class.
  uint32_t max_message_;
  uint32_t max_buffered_;
  uint32_t out_offset_ = 0; // bytes of out_.front() already written
  uint32_t buffered_ = 0;
  // Frames queued for the next flush, null while there are none: 8 bytes on an idle socket
  // instead of an empty vector's 24 (with room for two frames, a burst still allocates once).
  using OutQueue = boost::container::small_vector<SharedFrame, 2>;
  std::unique_ptr<OutQueue> out_;
  std::unique_ptr<Incomplete> in_; // null while idle
};

} // namespace herald::transport
