#include "socketio/client.hpp"

#include "core/ids.hpp"
#include "socketio/namespace.hpp"
#include "socketio/server.hpp"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

namespace herald::socketio {

Client::Client(Server& server, engineio::Session& session, Handshake handshake)
    : server_(server), session_(session), connect_timeout_(std::make_unique<ConnectTimeout>(*this)),
      handshake_(std::make_unique<Handshake>(std::move(handshake))) {
  const auto& clock = *server_.options().engine.clock;
  server_.engine()
      .wheel(session_.loop_index())
      .schedule(*connect_timeout_, clock.steady_now() + server_.options().connect_timeout);
}

Client::~Client() = default;

void Client::send(const Packet& packet) {
  if (closed_) return;
  session_.send_message(encode(packet));
  for (const auto& b : packet.buffers)
    session_.send_binary(b);
}

Client::Rare& Client::rare() {
  if (!rare_) rare_ = std::make_unique<Rare>();
  return *rare_;
}

void Client::drop_rare_if_empty() {
  if (rare_ && rare_->others.empty() && !rare_->partial) rare_.reset();
}

template <class Fn> void Client::for_each_socket(Fn&& fn) const {
  if (first_) fn(first_);
  if (rare_)
    for (const auto& s : rare_->others)
      fn(s);
}

Socket* Client::find(std::string_view nsp) const {
  Socket* found = nullptr;
  for_each_socket([&](const std::shared_ptr<Socket>& s) {
    if (!found && s->nsp().name() == nsp) found = s.get();
  });
  return found;
}

void Client::on_message(bool binary, std::string_view data) {
  if (closed_) return;
  if (binary) {
    if (!rare_ || !rare_->partial) return close(); // an attachment nobody announced
    auto& partial = *rare_->partial;
    partial.bytes += data.size();
    // The attachments of one packet together may not exceed one message's size limit.
    if (partial.bytes > server_.options().engine.max_payload) return close();
    auto& packet = partial.packet;
    packet.buffers.emplace_back(data);
    if (packet.buffers.size() == packet.attachments) {
      auto p = std::move(packet);
      rare_->partial.reset();
      drop_rare_if_empty();
      dispatch(std::move(p));
    }
    return;
  }
  if (rare_ && rare_->partial) return close(); // text while attachments were due
  auto packet = decode(data, server_.options().max_attachments);
  if (!packet) {
    spdlog::debug("socket.io: closing {} after a malformed packet", session_.id().view());
    return close();
  }
  if (packet->attachments > 0) {
    rare().partial.emplace(Partial{std::move(*packet), 0});
    return;
  }
  dispatch(std::move(*packet));
}

void Client::dispatch(Packet&& packet) {
  switch (packet.type) {
  case PacketType::connect:
    return connect(std::move(packet));
  case PacketType::disconnect:
    if (auto* s = find(packet.nsp)) detach(*s, "client namespace disconnect");
    return;
  case PacketType::event:
  case PacketType::binary_event:
    if (auto* s = find(packet.nsp)) s->on_event(std::move(packet));
    return;
  case PacketType::ack:
  case PacketType::binary_ack:
    if (auto* s = find(packet.nsp)) s->on_ack(std::move(packet));
    return;
  case PacketType::connect_error:
    return close();
  }
}

void Client::connect(Packet&& packet) {
  auto* nsp = server_.find(packet.nsp);
  Packet answer;
  answer.nsp = packet.nsp;
  if (!nsp) {
    answer.type = PacketType::connect_error;
    answer.data = boost::json::object{{"message", "Invalid namespace"}};
    return send(answer);
  }
  if (find(packet.nsp)) return; // already connected: nothing to do
  Handshake hs = handshake_ ? *handshake_ : Handshake{};
  hs.auth = packet.data.is_object() ? std::move(packet.data) : boost::json::object{};
  auto socket = nsp->make_socket(*this, core::random_token(Socket::kIdBytes), std::move(hs));
  if (auto err = nsp->run_middleware(*socket)) {
    answer.type = PacketType::connect_error;
    boost::json::object body{{"message", err->message}};
    if (!err->data.is_null()) body["data"] = std::move(err->data);
    answer.data = std::move(body);
    return send(answer);
  }
  if (closed_) return; // a middleware ended the connection
  if (!first_) {
    first_ = socket;
  } else {
    rare().others.push_back(socket);
  }
  if (!server_.options().retain_handshake) handshake_.reset();
  nsp->add(*socket);
  socket->mark_connected();
  connect_timeout_.reset(); // unlinks itself from the wheel
  answer.type = PacketType::connect;
  answer.data = boost::json::object{{"sid", socket->id()}};
  send(answer);
  const auto delay = server_.options().connection_handler_delay;
  if (delay.count() == 0) return nsp->notify_connection(*socket);
  auto timer =
      std::make_shared<boost::asio::steady_timer>(server_.loops().loop(session_.loop_index()), delay);
  timer->async_wait([timer, weak = std::weak_ptr<Socket>(socket)](const boost::system::error_code& ec) {
    auto s = weak.lock();
    if (!ec && s && s->connected()) s->nsp().notify_connection(*s);
  });
}

void Client::detach(Socket& socket, std::string_view reason) {
  std::shared_ptr<Socket> keep; // alive until its handlers are done
  if (first_.get() == &socket) {
    keep = std::move(first_);
    // Another socket moves inline, so that first_ is empty only when there is none.
    if (rare_ && !rare_->others.empty()) {
      first_ = std::move(rare_->others.back());
      rare_->others.pop_back();
    }
  } else if (rare_) {
    auto& others = rare_->others;
    auto it = std::find_if(others.begin(), others.end(), [&](const auto& s) { return s.get() == &socket; });
    if (it == others.end()) return;
    keep = std::move(*it);
    others.erase(it);
  } else {
    return;
  }
  drop_rare_if_empty();
  keep->on_disconnected(reason);
}

void Client::close() {
  if (closed_) return;
  session_.close("forced close"); // calls on_close below
}

void Client::on_close(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  // Cancelled, not destroyed: this may run inside its own on_timer.
  if (connect_timeout_) server_.engine().wheel(session_.loop_index()).cancel(*connect_timeout_);
  auto first = std::move(first_);
  auto rare = std::move(rare_);
  if (first) first->on_disconnected(reason);
  if (rare)
    for (auto& s : rare->others)
      s->on_disconnected(reason);
}

void Client::on_connect_timeout() {
  if (!first_) close(); // joined no namespace in time
}

} // namespace herald::socketio
