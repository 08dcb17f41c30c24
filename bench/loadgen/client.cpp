#include "client.hpp"

#include "proc_stats.hpp"
#include "token.hpp"
#include "transport/ws_frame.hpp"

#include <array>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <netinet/in.h>
#include <random>
#include <strings.h>

namespace herald::bench {
namespace ws = herald::transport::ws;

namespace {

// Frames from the server are small notifications; anything bigger than this is a bug.
constexpr std::size_t max_message = 1'000'000;

// One scratch buffer takes every read of the (single-threaded) process; only the tail
// of an unfinished message is copied into the client.
std::array<char, 256 * 1024>& scratch() {
  thread_local std::array<char, 256 * 1024> buffer;
  return buffer;
}

std::mt19937& rng() {
  thread_local std::mt19937 engine{std::random_device{}()};
  return engine;
}

std::string id_string(const boost::json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  return {};
}

// The value of header `name` (case-insensitive) in an HTTP head, or empty.
std::string_view header_value(std::string_view head, std::string_view name) {
  std::size_t pos = 0;
  while ((pos = head.find("\r\n", pos)) != std::string_view::npos) {
    pos += 2;
    if (head.size() - pos > name.size() && strncasecmp(head.data() + pos, name.data(), name.size()) == 0 &&
        head[pos + name.size()] == ':') {
      auto value = head.substr(pos + name.size() + 1);
      value = value.substr(0, value.find("\r\n"));
      while (!value.empty() && value.front() == ' ')
        value.remove_prefix(1);
      return value;
    }
  }
  return {};
}

} // namespace

Client::Client(asio::io_context& io, ClientObserver& observer, std::size_t index)
    : socket_(io), observer_(observer), index_(index) {}

void Client::start(const ServerTarget& target, const asio::ip::address_v4& source, const std::string& token) {
  close();
  target_ = &target;
  token_ = &token;
  started_ns_ = monotonic_ns();
  ready_ns_ = 0;
  state_ = State::connecting;
  boost::system::error_code ec;
  socket_.open(tcp::v4(), ec);
  if (!ec) {
    // Defer the port choice to connect(): bind() alone would refuse ports that sockets in
    // TIME_WAIT still hold, and churn leaves many of those behind.
    int on = 1;
    ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
    socket_.bind(tcp::endpoint(source, 0), ec);
  }
  if (ec) return lose("bind " + source.to_string() + ": " + ec.message());
  socket_.async_connect(target.endpoint,
                        [this, g = generation_](const boost::system::error_code& e) { on_connect(e, g); });
}

void Client::close() {
  ++generation_;
  boost::system::error_code ignored;
  socket_.close(ignored);
  partial_.clear();
  partial_.shrink_to_fit();
  out_.clear();
  write_pending_ = false;
  if (state_ != State::idle) state_ = State::closed;
}

void Client::lose(std::string_view why) {
  close();
  observer_.on_lost(*this, why);
}

void Client::on_connect(const boost::system::error_code& ec, unsigned generation) {
  if (generation != generation_) return;
  if (ec) return lose("connect: " + ec.message());
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  socket_.non_blocking(true, ignored); // reads drain the socket until would_block
  std::array<char, 16> nonce;
  for (auto& c : nonce)
    c = char(rng()());
  key_ = base64(std::string_view(nonce.data(), nonce.size()), false);
  out_ = "GET " + target_->path + "?EIO=4&transport=websocket HTTP/1.1\r\nHost: " + target_->host +
         "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key_ +
         "\r\nSec-WebSocket-Version: 13\r\n\r\n";
  state_ = State::upgrading;
  flush();
  wait_readable();
}

void Client::wait_readable() {
  socket_.async_wait(tcp::socket::wait_read,
                     [this, g = generation_](const boost::system::error_code& ec) { on_readable(ec, g); });
}

void Client::on_readable(const boost::system::error_code& ec, unsigned generation) {
  if (generation != generation_) return;
  if (ec) return lose("wait: " + ec.message());
  auto& buf = scratch();
  // Bounded: a socket that keeps delivering yields to the others after 16 reads.
  for (int round = 0; round < 16; ++round) {
    boost::system::error_code rec;
    const auto n = socket_.read_some(asio::buffer(buf), rec);
    if (rec == asio::error::would_block || rec == asio::error::try_again) break;
    if (rec) return lose(rec == asio::error::eof ? "closed by server" : "read: " + rec.message());
    const unsigned g = generation_;
    if (partial_.empty()) {
      const auto used = consume(buf.data(), n);
      if (g != generation_) return;
      partial_.assign(buf.data() + used, n - used);
    } else {
      partial_.append(buf.data(), n);
      const auto used = consume(partial_.data(), partial_.size());
      if (g != generation_) return;
      partial_.erase(0, used);
    }
    if (partial_.size() > max_message + 16) return lose("message too big");
    if (n < buf.size()) break;
  }
  if (partial_.empty()) partial_.shrink_to_fit(); // idle clients hold no buffer
  wait_readable();
}

std::size_t Client::consume(char* data, std::size_t size) {
  const unsigned g = generation_;
  std::size_t used = 0;
  if (state_ == State::upgrading) {
    used = consume_upgrade(data, size);
    if (used == 0 || g != generation_) return 0;
  }
  while (used < size) {
    auto r = ws::parse_server_frame(data + used, size - used, max_message);
    if (r.status == ws::ParseStatus::need_more) break;
    if (r.status == ws::ParseStatus::error || !r.frame.fin) {
      lose("bad or fragmented frame");
      return 0;
    }
    used += r.consumed;
    switch (r.frame.opcode) {
    case ws::Opcode::text:
      on_text(r.frame.payload);
      break;
    case ws::Opcode::ping:
      send_frame(int(ws::Opcode::pong), r.frame.payload);
      break;
    case ws::Opcode::close:
      lose("websocket close");
      break;
    default:
      break;
    }
    if (g != generation_) return 0;
  }
  flush();
  return used;
}

std::size_t Client::consume_upgrade(const char* data, std::size_t size) {
  const std::string_view in(data, size);
  const auto end = in.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (size > 16 * 1024) lose("upgrade response too long");
    return 0;
  }
  const auto head = in.substr(0, end + 2);
  if (!head.starts_with("HTTP/1.1 101")) {
    lose("upgrade refused: " + std::string(head.substr(0, head.find("\r\n"))));
    return 0;
  }
  if (header_value(head, "Sec-WebSocket-Accept") != ws::accept_key(key_)) {
    lose("bad Sec-WebSocket-Accept");
    return 0;
  }
  state_ = State::opening;
  return end + 4;
}

void Client::on_text(std::string_view message) {
  if (message.empty()) return;
  switch (message.front()) {
  case '0': // Engine.IO open: join the namespace with the token (SPEC 2: auth.token)
    state_ = State::joining;
    send_frame(int(ws::Opcode::text), "40" + target_->nsp + ",{\"token\":\"" + *token_ + "\"}");
    return;
  case '2': // ping: the server closes a session that does not answer within pingTimeout
    send_frame(int(ws::Opcode::text), "3" + std::string(message.substr(1)));
    return;
  case '4':
    return on_socketio(message.substr(1));
  case '1':
    return lose("engine.io close");
  default:
    return;
  }
}

void Client::on_socketio(std::string_view packet) {
  if (packet.empty()) return;
  const char type = packet.front();
  auto rest = packet.substr(1);
  if (rest.starts_with('/')) {
    const auto comma = rest.find(',');
    if (rest.substr(0, comma) != target_->nsp) return;
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  std::size_t digits = 0;
  while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9')
    ++digits;
  const auto ack_id = rest.substr(0, digits);
  rest.remove_prefix(digits);
  switch (type) {
  case '2':
    on_event(rest);
    // The ack a socket.io-client callback sends: an ACK packet with the event's id.
    if (target_->ack && !ack_id.empty() && state_ == State::ready)
      send_frame(int(ws::Opcode::text), "43" + target_->nsp + "," + std::string(ack_id) + "[]");
    return;
  case '4':
    return lose("connect_error " + std::string(rest));
  case '1':
    return lose("disconnected by server");
  default:
    return; // CONNECT answers, acks: nothing to do until `authenticated`
  }
}

void Client::on_event(std::string_view json) {
  boost::system::error_code ec;
  const auto v = boost::json::parse(json, ec);
  const auto* args = v.if_array();
  if (ec || !args || args->empty() || !args->front().is_string()) return lose("malformed event");
  const auto name = std::string_view(args->front().get_string());
  const auto* body = args->size() > 1 ? (*args)[1].if_object() : nullptr;
  if (name == "authenticated") {
    if (state_ != State::joining) return;
    state_ = State::ready;
    ready_ns_ = monotonic_ns();
    return observer_.on_ready(*this);
  }
  auto deliver = [&](const boost::json::object& n) {
    const auto* id = n.if_contains("id");
    const auto* title = n.if_contains("title");
    if (!id || !title || !title->is_string()) return;
    observer_.on_notification(*this, id_string(*id), title->get_string());
  };
  if (name == "notification:new" && body) return deliver(*body);
  if (name == "notification:batch" && body) {
    if (const auto* list = body->if_contains("notifications"); list && list->is_array())
      for (const auto& n : list->get_array())
        if (n.is_object()) deliver(n.get_object());
  }
}

void Client::send_frame(int opcode, std::string_view payload) {
  out_ += ws::encode_client_frame(ws::Opcode(opcode), payload, uint32_t(rng()()));
}

void Client::flush() {
  if (write_pending_ || out_.empty()) return;
  writing_.swap(out_);
  out_.clear();
  write_pending_ = true;
  asio::async_write(socket_, asio::buffer(writing_),
                    [this, g = generation_](const boost::system::error_code& ec, std::size_t) {
                      if (g != generation_) return;
                      write_pending_ = false;
                      if (ec) return lose("write: " + ec.message());
                      writing_.clear();
                      writing_.shrink_to_fit();
                      flush();
                    });
}

} // namespace herald::bench
