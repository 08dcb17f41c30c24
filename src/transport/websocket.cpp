#include "transport/websocket.hpp"

#include <array>
#include <boost/asio/post.hpp>
#include <span>
#include <spdlog/spdlog.h>

namespace herald::transport {
namespace asio = boost::asio;

namespace {

// Per-loop state shared by all WebSockets of the loop: the read buffer and the list of
// sockets with queued output. Each loop is one thread, so thread_local is per loop.
struct LoopContext {
  std::array<char, 64 * 1024> read_buffer;
  std::vector<std::shared_ptr<WebSocket>> dirty;
  bool flush_posted = false;
};

LoopContext& loop_context() {
  thread_local LoopContext ctx;
  return ctx;
}

void schedule_flush(std::shared_ptr<WebSocket> ws) {
  auto& ctx = loop_context();
  ctx.dirty.push_back(std::move(ws));
  if (ctx.flush_posted) return;
  ctx.flush_posted = true;
  asio::post(ctx.dirty.back()->loop(), [] {
    auto& c = loop_context();
    c.flush_posted = false;
    auto list = std::move(c.dirty);
    c.dirty.clear();
    for (auto& w : list)
      w->flush();
  });
}

} // namespace

WebSocket::WebSocket(asio::ip::tcp::socket socket, WebSocketLimits limits)
    : socket_(std::move(socket)), limits_(limits) {
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
}

WebSocket::~WebSocket() = default;

asio::io_context& WebSocket::loop() {
  return static_cast<asio::io_context&>(socket_.get_executor().context());
}

void WebSocket::start(std::string handshake, WebSocketHandler* handler) {
  handler_ = handler;
  enqueue(std::make_shared<const std::string>(std::move(handshake)));
  wait_readable();
}

void WebSocket::wait_readable() {
  socket_.async_wait(asio::socket_base::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       if (ec || self->state_ == State::closed) return;
                       self->on_readable();
                     });
}

void WebSocket::on_readable() {
  auto& buf = loop_context().read_buffer;
  // Drain what the kernel has, but yield after a few reads so one busy client cannot
  // starve the rest of the loop.
  for (int round = 0; round < 4 && state_ != State::closed; ++round) {
    boost::system::error_code ec;
    const std::size_t n = socket_.read_some(asio::buffer(buf), ec);
    if (ec == asio::error::would_block) break;
    if (ec) {
      finish();
      return;
    }
    consume(buf.data(), n);
    if (n < buf.size()) break;
  }
  if (state_ != State::closed) wait_readable();
}

void WebSocket::consume(char* data, std::size_t size) {
  char* begin = data;
  std::size_t avail = size;
  if (!partial_.empty()) {
    partial_.append(data, size);
    begin = partial_.data();
    avail = partial_.size();
  }
  std::size_t used = 0;
  while (state_ == State::open && used < avail) {
    auto r = ws::parse_client_frame(begin + used, avail - used, limits_.max_message);
    if (r.status == ws::ParseStatus::need_more) break;
    if (r.status == ws::ParseStatus::error) {
      fail(r.close_code);
      return;
    }
    used += r.consumed;
    handle_frame(r.frame);
  }
  if (state_ != State::open) {
    partial_.clear();
    return;
  }
  if (begin == partial_.data()) {
    partial_.erase(0, used);
  } else if (used < avail) {
    partial_.assign(begin + used, avail - used);
  }
  if (partial_.empty()) partial_.shrink_to_fit(); // idle connections keep no buffer
}

void WebSocket::handle_frame(const ws::Frame& frame) {
  using ws::Opcode;
  switch (frame.opcode) {
  case Opcode::ping:
    enqueue(std::make_shared<const std::string>(ws::encode_frame(Opcode::pong, frame.payload)));
    return;
  case Opcode::pong:
    return;
  case Opcode::close:
    close(ws::close_normal);
    return;
  case Opcode::continuation:
    if (message_.empty() && message_opcode_ == Opcode::continuation) return fail(ws::close_protocol_error);
    if (message_.size() + frame.payload.size() > limits_.max_message) return fail(ws::close_too_big);
    message_.append(frame.payload);
    if (frame.fin) {
      std::string whole = std::move(message_);
      message_.clear();
      message_.shrink_to_fit();
      const bool binary = message_opcode_ == Opcode::binary;
      message_opcode_ = Opcode::continuation;
      if (handler_) handler_->on_ws_message(binary, whole);
    }
    return;
  case Opcode::text:
  case Opcode::binary:
    if (message_opcode_ != Opcode::continuation && !message_.empty()) return fail(ws::close_protocol_error);
    if (!frame.fin) {
      message_opcode_ = frame.opcode;
      message_.assign(frame.payload);
      return;
    }
    message_opcode_ = Opcode::continuation;
    if (handler_) handler_->on_ws_message(frame.opcode == Opcode::binary, frame.payload);
    return;
  }
}

void WebSocket::send(SharedFrame frame) {
  if (state_ != State::open) return;
  if (buffered_ + frame->size() > limits_.max_buffered) {
    spdlog::debug("websocket: closing a client that does not read ({} bytes queued)", buffered_);
    fail(ws::close_going_away);
    return;
  }
  enqueue(std::move(frame));
}

void WebSocket::send_text(std::string_view payload) {
  send(std::make_shared<const std::string>(ws::encode_frame(ws::Opcode::text, payload)));
}

void WebSocket::send_binary(std::string_view payload) {
  send(std::make_shared<const std::string>(ws::encode_frame(ws::Opcode::binary, payload)));
}

void WebSocket::enqueue(SharedFrame frame) {
  buffered_ += frame->size();
  out_.push_back(std::move(frame));
  if (!dirty_ && !waiting_write_) {
    dirty_ = true;
    schedule_flush(shared_from_this());
  }
}

void WebSocket::close(uint16_t code) {
  if (state_ != State::open) return;
  std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  enqueue(std::make_shared<const std::string>(ws::encode_frame(ws::Opcode::close, payload)));
  state_ = State::closing;
  message_.clear();
}

void WebSocket::fail(uint16_t code) {
  // Drop what the client has not read: it is leaving or misbehaving. A frame cut in the
  // middle cannot be followed by a close frame, so then the socket just closes.
  const bool clean = out_offset_ == 0 && state_ == State::open;
  out_.clear();
  out_offset_ = 0;
  buffered_ = 0;
  if (!clean) return finish();
  close(code);
}

void WebSocket::flush() {
  dirty_ = false;
  if (state_ == State::closed || waiting_write_) return;
  while (!out_.empty()) {
    std::array<asio::const_buffer, 64> bufs;
    std::size_t count = 0;
    for (std::size_t i = 0; i < out_.size() && count < bufs.size(); ++i, ++count) {
      const auto& f = *out_[i];
      const std::size_t skip = i == 0 ? out_offset_ : 0;
      bufs[count] = asio::buffer(f.data() + skip, f.size() - skip);
    }
    boost::system::error_code ec;
    std::size_t n = socket_.write_some(std::span(bufs.data(), count), ec);
    if (ec == asio::error::would_block) break;
    if (ec) {
      finish();
      return;
    }
    buffered_ -= n;
    while (n > 0) {
      const std::size_t left = out_.front()->size() - out_offset_;
      if (n >= left) {
        n -= left;
        out_offset_ = 0;
        out_.erase(out_.begin());
      } else {
        out_offset_ += n;
        n = 0;
      }
    }
  }
  if (!out_.empty()) {
    waiting_write_ = true;
    socket_.async_wait(asio::socket_base::wait_write,
                       [self = shared_from_this()](const boost::system::error_code& ec) {
                         self->waiting_write_ = false;
                         if (ec) return;
                         self->flush();
                       });
    return;
  }
  out_.shrink_to_fit();
  if (state_ == State::closing) finish();
}

void WebSocket::finish() {
  if (state_ == State::closed) return;
  state_ = State::closed;
  boost::system::error_code ec;
  socket_.shutdown(asio::socket_base::shutdown_both, ec);
  socket_.close(ec);
  out_.clear();
  partial_.clear();
  message_.clear();
  if (!notified_ && handler_) {
    notified_ = true;
    // Deferred: finish() can run inside a send() made while someone iterates a room.
    asio::post(loop(), [self = shared_from_this()] {
      if (auto* h = self->handler_) {
        self->handler_ = nullptr;
        h->on_ws_closed();
      }
    });
  }
}

} // namespace herald::transport
