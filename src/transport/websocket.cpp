#include "transport/websocket.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace herald::transport {
namespace asio = boost::asio;

namespace {
// The largest limit a socket keeps (its counters are 32-bit).
constexpr std::size_t kMaxLimit = std::size_t{1} << 31;
} // namespace

namespace detail {

// Per-loop state shared by all WebSockets of the loop: one epoll set (a single descriptor
// in Asio's reactor), the read buffer, and the sockets with queued output. An Asio service,
// so that it lives exactly as long as its io_context and every WebSocket of the loop.
class WebSocketPoller final : public asio::execution_context::service {
public:
  static inline asio::execution_context::id id;

  explicit WebSocketPoller(asio::execution_context& ctx)
      : service(ctx), loop_(static_cast<asio::io_context&>(ctx)), epoll_(loop_) {
    const int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::system_category(), "epoll_create1");
    epoll_.assign(fd);
  }

  asio::io_context& loop() { return loop_; }
  std::array<char, 64 * 1024>& read_buffer() { return read_buffer_; }

  bool add(WebSocket* ws, int fd) { return control(EPOLL_CTL_ADD, ws, fd, EPOLLIN); }
  // EPOLLOUT only while a write is blocked: level-triggered, it would fire without end.
  void want_write(WebSocket& ws, int fd, bool on) {
    control(EPOLL_CTL_MOD, &ws, fd, on ? EPOLLIN | EPOLLOUT : EPOLLIN);
    if (on) {
      blocked_.push_back(ws.shared_from_this());
    } else {
      release_blocked(ws);
    }
  }
  // The socket is closing its descriptor (which leaves the epoll set) or going away:
  // events for it still in the batch being dispatched must not reach it.
  void forget(WebSocket* ws) {
    for (int i = cursor_ + 1; i < batch_size_; ++i)
      if (events_[i].data.ptr == ws) events_[i].data.ptr = nullptr;
  }
  // A blocked socket is kept alive by this list, as a pending write would keep it: a
  // closing socket whose owner let go still gets its queue and close frame out.
  void release_blocked(WebSocket& ws) {
    for (auto& b : blocked_)
      if (b.get() == &ws) {
        // Not destroyed here: the caller runs inside `ws` and holds its own reference.
        std::swap(b, blocked_.back());
        blocked_.pop_back();
        return;
      }
  }

  void schedule_flush(std::shared_ptr<WebSocket> ws) {
    dirty_.push_back(std::move(ws));
    if (flush_posted_) return;
    flush_posted_ = true;
    asio::post(loop_, [this] {
      flush_posted_ = false;
      auto list = std::move(dirty_);
      dirty_.clear();
      for (auto& w : list)
        w->flush();
    });
  }

  void start() {
    if (started_) return;
    started_ = true;
    wait();
  }

private:
  void shutdown() override {
    boost::system::error_code ec;
    epoll_.close(ec);
    blocked_.clear();
    dirty_.clear();
  }

  bool control(int op, WebSocket* ws, int fd, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = ws;
    return ::epoll_ctl(epoll_.native_handle(), op, fd, &ev) == 0;
  }

  void wait() {
    epoll_.async_wait(asio::posix::descriptor_base::wait_read, [this](const boost::system::error_code& ec) {
      if (!ec) poll();
    });
  }

  void poll() {
    const int n = ::epoll_wait(epoll_.native_handle(), events_.data(), static_cast<int>(events_.size()), 0);
    if (n <= 0) return wait(); // nothing left: sleep until the set becomes readable again
    batch_size_ = n;
    for (cursor_ = 0; cursor_ < n; ++cursor_) {
      auto* ws = static_cast<WebSocket*>(events_[cursor_].data.ptr);
      if (!ws) continue;
      auto self = ws->shared_from_this(); // a handler may drop the last other reference
      ws->on_events(events_[cursor_].events);
    }
    batch_size_ = 0;
    cursor_ = 0;
    // Sockets are level-triggered and reads yield after a few rounds: look again, after
    // whatever else the loop has to do, before going back to sleep.
    asio::post(loop_, [this] { poll(); });
  }

  asio::io_context& loop_;
  asio::posix::stream_descriptor epoll_;
  std::array<epoll_event, 256> events_{};
  int batch_size_ = 0;
  int cursor_ = 0;
  bool started_ = false;
  bool flush_posted_ = false;
  std::array<char, 64 * 1024> read_buffer_;
  std::vector<std::shared_ptr<WebSocket>> dirty_;
  std::vector<std::shared_ptr<WebSocket>> blocked_;
};

} // namespace detail

WebSocket::WebSocket(asio::io_context& loop, int fd, WebSocketLimits limits)
    : poller_(asio::use_service<detail::WebSocketPoller>(loop)), fd_(fd),
      max_message_(static_cast<uint32_t>(std::min<std::size_t>(limits.max_message, kMaxLimit))),
      max_buffered_(static_cast<uint32_t>(std::min<std::size_t>(limits.max_buffered, kMaxLimit))) {
  // TCP_NODELAY came with the HTTP connection; the descriptor may still be blocking
  // (Asio sets its non-blocking mode lazily), so set that, in one system call.
  int one = 1;
  ::ioctl(fd_, FIONBIO, &one);
}

WebSocket::~WebSocket() {
  poller_.forget(this);
  if (fd_ >= 0) ::close(fd_);
}

asio::io_context& WebSocket::loop() { return poller_.loop(); }

void WebSocket::start(std::string handshake, WebSocketHandler* handler) {
  handler_ = handler;
  enqueue(std::make_shared<const std::string>(std::move(handshake)));
  poller_.start();
  if (!poller_.add(this, fd_)) finish();
}

void WebSocket::on_events(uint32_t events) {
  if (state_ == State::closed) return;
  if ((events & EPOLLOUT) && waiting_write_) {
    waiting_write_ = false;
    poller_.want_write(*this, fd_, false);
    flush();
  }
  if (state_ != State::closed && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) on_readable();
}

void WebSocket::on_readable() {
  auto& buf = poller_.read_buffer();
  // Drain what the kernel has, but yield after a few reads so one busy client cannot
  // starve the rest of the loop (the epoll set reports the socket again).
  for (int round = 0; round < 4 && state_ != State::closed; ++round) {
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) {
      finish();
      return;
    }
    consume(buf.data(), static_cast<std::size_t>(n));
    if (static_cast<std::size_t>(n) < buf.size()) break;
  }
}

WebSocket::Incomplete& WebSocket::incomplete() {
  if (!in_) in_ = std::make_unique<Incomplete>();
  return *in_;
}

void WebSocket::drop_incomplete_if_empty() {
  // Idle connections keep no buffer.
  if (in_ && in_->partial.empty() && in_->opcode == ws::Opcode::continuation) in_.reset();
}

void WebSocket::consume(char* data, std::size_t size) {
  char* begin = data;
  std::size_t avail = size;
  const bool had_partial = in_ && !in_->partial.empty();
  if (had_partial) {
    in_->partial.append(data, size);
    begin = in_->partial.data();
    avail = in_->partial.size();
  }
  std::size_t used = 0;
  while (state_ == State::open && used < avail) {
    auto r = ws::parse_client_frame(begin + used, avail - used, max_message_);
    if (r.status == ws::ParseStatus::need_more) break;
    if (r.status == ws::ParseStatus::error) {
      fail(r.close_code);
      return;
    }
    used += r.consumed;
    handle_frame(r.frame);
  }
  if (state_ != State::open) {
    in_.reset();
    return;
  }
  if (had_partial) {
    in_->partial.erase(0, used);
  } else if (used < avail) {
    incomplete().partial.assign(begin + used, avail - used);
  }
  drop_incomplete_if_empty();
}

void WebSocket::handle_frame(const ws::Frame& frame) {
  using ws::Opcode;
  const bool in_message = in_ && in_->opcode != Opcode::continuation;
  switch (frame.opcode) {
  case Opcode::ping:
    enqueue(std::make_shared<const std::string>(ws::encode_frame(Opcode::pong, frame.payload)));
    return;
  case Opcode::pong:
    return;
  case Opcode::close:
    close(ws::close_normal);
    return;
  case Opcode::continuation: {
    if (!in_message) return fail(ws::close_protocol_error);
    auto& m = in_->message;
    if (m.size() + frame.payload.size() > max_message_) return fail(ws::close_too_big);
    m.append(frame.payload);
    if (frame.fin) {
      std::string whole = std::move(m);
      m = std::string();
      const bool binary = in_->opcode == Opcode::binary;
      in_->opcode = Opcode::continuation;
      if (handler_) handler_->on_ws_message(binary, whole);
    }
    return;
  }
  case Opcode::text:
  case Opcode::binary:
    if (in_message) return fail(ws::close_protocol_error);
    if (!frame.fin) {
      auto& in = incomplete();
      in.opcode = frame.opcode;
      in.message.assign(frame.payload);
      return;
    }
    if (handler_) handler_->on_ws_message(frame.opcode == Opcode::binary, frame.payload);
    return;
  }
}

void WebSocket::send(SharedFrame frame) {
  if (state_ != State::open) return;
  if (buffered_ + frame->size() > max_buffered_) {
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
  buffered_ += static_cast<uint32_t>(frame->size());
  if (!out_) out_ = std::make_unique<OutQueue>();
  out_->push_back(std::move(frame));
  if (!dirty_ && !waiting_write_) {
    dirty_ = true;
    poller_.schedule_flush(shared_from_this());
  }
}

void WebSocket::close(uint16_t code) {
  if (state_ != State::open) return;
  std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  enqueue(std::make_shared<const std::string>(ws::encode_frame(ws::Opcode::close, payload)));
  state_ = State::closing;
  in_.reset();
}

void WebSocket::fail(uint16_t code) {
  // Drop what the client has not read: it is leaving or misbehaving. A frame cut in the
  // middle cannot be followed by a close frame, so then the socket just closes.
  const bool clean = out_offset_ == 0 && state_ == State::open;
  out_.reset();
  out_offset_ = 0;
  buffered_ = 0;
  if (!clean) return finish();
  close(code);
}

void WebSocket::flush() {
  dirty_ = false;
  if (state_ == State::closed || waiting_write_) return;
  while (out_ && !out_->empty()) {
    auto& out = *out_;
    std::array<iovec, 64> iov;
    std::size_t count = 0;
    for (std::size_t i = 0; i < out.size() && count < iov.size(); ++i, ++count) {
      const auto& f = *out[i];
      const std::size_t skip = i == 0 ? out_offset_ : 0;
      iov[count] = {const_cast<char*>(f.data() + skip), f.size() - skip};
    }
    msghdr msg{};
    msg.msg_iov = iov.data();
    msg.msg_iovlen = count;
    // sendmsg rather than writev: MSG_NOSIGNAL, a client that went away raises no SIGPIPE.
    const ssize_t sent = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (sent < 0) {
      finish();
      return;
    }
    auto n = static_cast<std::size_t>(sent);
    buffered_ -= static_cast<uint32_t>(n);
    // Frames written whole leave the queue together (one move of the rest, not one each).
    std::size_t done = 0;
    while (n > 0) {
      const std::size_t left = out[done]->size() - out_offset_;
      if (n >= left) {
        n -= left;
        out_offset_ = 0;
        ++done;
      } else {
        out_offset_ += static_cast<uint32_t>(n);
        n = 0;
      }
    }
    out.erase(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(done));
  }
  if (out_ && !out_->empty()) {
    waiting_write_ = true;
    poller_.want_write(*this, fd_, true);
    return;
  }
  out_.reset();
  if (state_ == State::closing) finish();
}

void WebSocket::finish() {
  if (state_ == State::closed) return;
  state_ = State::closed;
  poller_.forget(this);
  ::shutdown(fd_, SHUT_RDWR);
  ::close(fd_); // leaves the epoll set
  fd_ = -1;
  out_.reset();
  in_.reset();
  if (waiting_write_) {
    waiting_write_ = false;
    poller_.release_blocked(*this);
  }
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
