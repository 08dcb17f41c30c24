#pragma once
// One WebSocket connection after the upgrade: reactor-style reads into the loop's shared
// buffer (nothing is allocated per idle connection), and corked writes: every frame queued
// during one loop iteration leaves in a single writev.

#include "transport/ws_frame.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
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

class WebSocket : public std::enable_shared_from_this<WebSocket> {
public:
  WebSocket(boost::asio::ip::tcp::socket socket, WebSocketLimits limits);
  ~WebSocket();

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

private:
  enum class State : uint8_t { open, closing, closed };
  void wait_readable();
  void on_readable();
  void consume(char* data, std::size_t size);
  void handle_frame(const ws::Frame& frame);
  void enqueue(SharedFrame frame);
  void fail(uint16_t code);
  void finish();

  boost::asio::ip::tcp::socket socket_;
  WebSocketHandler* handler_ = nullptr;
  WebSocketLimits limits_;
  std::vector<SharedFrame> out_;
  std::size_t out_offset_ = 0; // bytes of out_.front() already written
  std::size_t buffered_ = 0;
  std::string partial_; // bytes of an incomplete frame, empty while idle
  std::string message_; // fragments of an incomplete message, empty while idle
  ws::Opcode message_opcode_ = ws::Opcode::text;
  State state_ = State::open;
  bool dirty_ = false;
  bool waiting_write_ = false;
  bool notified_ = false;
};

} // namespace herald::transport
