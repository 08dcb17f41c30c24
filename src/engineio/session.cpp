#include "engineio/session.hpp"

#include "engineio/server.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <spdlog/spdlog.h>

namespace herald::engineio {
namespace {

transport::HttpResponse text_response(std::string body) {
  return transport::HttpResponse::text(200, std::move(body));
}

const SharedOutFrame& noop_frame() {
  static const SharedOutFrame f = make_text_frame(PacketType::noop);
  return f;
}
const SharedOutFrame& ping_frame() {
  static const SharedOutFrame f = make_text_frame(PacketType::ping);
  return f;
}
const SharedOutFrame& close_frame() {
  static const SharedOutFrame f = make_text_frame(PacketType::close);
  return f;
}

transport::HttpResponse bad_request() {
  return transport::HttpResponse::text(400, R"({"code":3,"message":"Bad request"})");
}

transport::SharedFrame wire_of(const SharedOutFrame& f) {
  // Aliasing: the WebSocket queue shares ownership of the OutFrame and sees its bytes.
  return transport::SharedFrame(f, &f->wire);
}

} // namespace

struct Session::Polling {
  std::optional<transport::Responder> poll; // the GET waiting for packets
  std::vector<SharedOutFrame> queue;
  std::size_t queued_bytes = 0;
};

// 4 MB, as for a WebSocket: a burst of thousands of notifications.
static constexpr std::size_t kMaxQueuedBytes = 4 * 1024 * 1024;

Session::Session(Server& server, std::string id, std::size_t loop_index)
    : server_(server), id_(id), loop_index_(static_cast<uint16_t>(loop_index)) {}

Session::~Session() { drop_websocket(); }

void Session::drop_websocket() {
  if (!ws_) return;
  ws_->set_handler(nullptr);
  ws_->close();
  ws_.reset();
}

Session::Polling& Session::polling() {
  if (!polling_) polling_ = std::make_unique<Polling>();
  return *polling_;
}

bool Session::poll_waiting() const { return polling_ && polling_->poll; }

void Session::clear_queue() {
  if (!polling_) return;
  polling_->queue.clear();
  polling_->queue.shrink_to_fit();
  polling_->queued_bytes = 0;
}

void Session::release_poll(std::string body) {
  if (!poll_waiting()) return;
  auto responder = std::move(*polling_->poll);
  polling_->poll.reset();
  responder.send(text_response(std::move(body)));
}

std::string Session::handshake_payload(bool websocket) const {
  const auto& o = server_.options();
  boost::json::object h;
  h["sid"] = id_.view();
  boost::json::array upgrades;
  if (!websocket && o.allow_upgrades) upgrades.emplace_back("websocket");
  h["upgrades"] = std::move(upgrades);
  h["pingInterval"] = o.ping_interval.count();
  h["pingTimeout"] = o.ping_timeout.count();
  h["maxPayload"] = o.max_payload;
  return boost::json::serialize(h);
}

void Session::open_polling(transport::Responder responder) {
  transport_ = Transport::polling;
  schedule_ping();
  // The handshake is the first packet of the first poll: answer this request with it.
  std::string body;
  append_to_payload(body, *make_text_frame(PacketType::open, handshake_payload(false)));
  responder.send(text_response(std::move(body)));
}

void Session::open_websocket(transport::PendingUpgrade upgrade) {
  transport_ = Transport::websocket;
  auto& loop = server_.loops().loop(loop_index_);
  ws_ = upgrade.accept(loop, this);
  if (!ws_) return end("transport error", true);
  ws_->send(wire_of(make_text_frame(PacketType::open, handshake_payload(true))));
  schedule_ping();
}

void Session::schedule_ping() {
  awaiting_pong_ = false;
  deadline_ = server_.options().clock->steady_now() + server_.options().ping_interval;
  server_.wheel(loop_index_).schedule(*this, deadline_);
}

bool Session::heartbeat_expired() const {
  return awaiting_pong_ && server_.options().clock->steady_now() >= deadline_;
}

void Session::on_timer() {
  if (state_ == State::draining) return end("transport close", false);
  if (state_ != State::open) return;
  if (awaiting_pong_) return end("ping timeout", false);
  send(ping_frame());
  awaiting_pong_ = true;
  // Measured from when the ping was due, not from when the wheel got to it.
  deadline_ += server_.options().ping_timeout;
  server_.wheel(loop_index_).schedule(*this, deadline_);
}

void Session::send(SharedOutFrame frame) {
  if (state_ != State::open) return;
  if (transport_ == Transport::websocket) {
    if (ws_) ws_->send(wire_of(frame));
    return;
  }
  // A polling client that stops polling must not hold unbounded memory until its
  // heartbeat runs out: past the cap it is closed, like a WebSocket that does not read.
  if (overflowed_) return;
  auto& p = polling();
  p.queued_bytes += frame->payload().size();
  if (p.queued_bytes > kMaxQueuedBytes) {
    // Ended later, not here: the caller may be iterating a room this session is in.
    overflowed_ = true;
    clear_queue();
    server_.loops().post(loop_index_, [&server = server_, sid = id_] {
      if (auto* s = server.find_local(sid)) s->end("transport error", false);
    });
    return;
  }
  p.queue.push_back(std::move(frame));
  if (p.poll) flush_poll();
}

void Session::flush_poll() {
  if (!poll_waiting() || polling_->queue.empty()) return;
  std::string body;
  for (const auto& f : polling_->queue)
    append_to_payload(body, *f);
  clear_queue();
  release_poll(std::move(body));
}

void Session::on_poll(transport::Responder responder) {
  if (state_ == State::draining) {
    polling().poll.emplace(std::move(responder));
    flush_poll();
    return end("transport close", false);
  }
  if (transport_ != Transport::polling || state_ != State::open) {
    return responder.send(bad_request());
  }
  auto& p = polling();
  if (p.poll) {
    // Two concurrent polls: the protocol says close. The first one learns it.
    responder.send(bad_request());
    p.queue.push_back(close_frame());
    flush_poll();
    return end("transport error", false);
  }
  if (upgrading_) {
    // The client is switching to WebSocket: end this poll at once.
    return responder.send(text_response("6"));
  }
  p.poll.emplace(std::move(responder));
  p.poll->on_abort([loop = loop_index_, sid = id_, &server = server_] {
    // The connection's loop calls this; the session may be gone by the time we look.
    server.loops().post(loop, [&server, sid] {
      if (auto* s = server.find_local(sid); s && s->poll_waiting()) {
        s->polling_->poll.reset();
        s->end("transport close", true);
      }
    });
  });
  flush_poll();
}

void Session::on_post(std::string_view body, transport::Responder responder) {
  if (transport_ != Transport::polling || state_ != State::open) {
    return responder.send(bad_request());
  }
  auto packets = decode_payload(body);
  if (!packets) {
    responder.send(bad_request());
    return end("parse error", false);
  }
  // Answer first: packet handlers may close the session.
  responder.send(text_response("ok"));
  for (auto& p : *packets) {
    if (state_ != State::open) break;
    on_packet(std::move(p), false);
  }
}

void Session::on_upgrade(transport::PendingUpgrade upgrade) {
  if (state_ == State::open && (transport_ == Transport::websocket || upgrading_)) {
    // The session already has its WebSocket: complete this handshake, then close it, as
    // the reference server does, so the intruder sees a clean close rather than an error.
    if (auto ws = upgrade.accept(server_.loops().loop(loop_index_), nullptr)) ws->close();
    return;
  }
  if (state_ != State::open || transport_ != Transport::polling || !server_.options().allow_upgrades) {
    return upgrade.reject(400, bad_request().body);
  }
  ws_ = upgrade.accept(server_.loops().loop(loop_index_), this);
  if (ws_) upgrading_ = true;
}

void Session::on_ws_message(bool binary, std::string_view payload) {
  if (state_ != State::open) return;
  if (binary) {
    if (transport_ != Transport::websocket) return; // only after the upgrade completes
    Packet p{PacketType::message, true, std::string(payload)};
    return on_packet(std::move(p), true);
  }
  auto p = decode_packet(payload, false);
  if (!p) return end("parse error", false);
  on_packet(std::move(*p), true);
}

void Session::on_ws_closed() {
  ws_.reset();
  if (state_ != State::open) return;
  if (upgrading_ && transport_ == Transport::polling) {
    upgrading_ = false; // the probe failed: carry on polling
    return;
  }
  end("transport close", true);
}

void Session::on_packet(Packet&& p, bool from_websocket) {
  const bool probing = from_websocket && transport_ == Transport::polling;
  switch (p.type) {
  case PacketType::ping:
    if (probing && p.data == "probe") {
      ws_->send(wire_of(make_text_frame(PacketType::pong, "probe")));
      // Release a poll that is waiting, so the client can finish the upgrade.
      release_poll("6");
      return;
    }
    if (probing) return end("parse error", false);
    return send(make_text_frame(PacketType::pong, p.data));
  case PacketType::pong:
    if (probing) return;
    if (awaiting_pong_) schedule_ping();
    return;
  case PacketType::upgrade:
    if (!probing || !upgrading_) return end("parse error", false);
    transport_ = Transport::websocket;
    upgrading_ = false;
    release_poll("6");
    if (polling_)
      for (auto& f : polling_->queue)
        ws_->send(wire_of(f));
    polling_.reset(); // a WebSocket session for good
    return;
  case PacketType::message:
    if (probing) return; // nothing but the probe travels on a WebSocket mid-upgrade
    if (handler_) handler_->on_message(p.binary, p.data);
    return;
  case PacketType::close:
    return end("transport close", true);
  case PacketType::noop:
    return;
  case PacketType::open:
    return end("parse error", false);
  }
}

void Session::close(std::string_view reason) {
  if (state_ != State::open) return;
  if (transport_ == Transport::polling && !poll_waiting()) {
    // The client learns of the close from its next poll: keep the queue until then,
    // but not for longer than a heartbeat would wait.
    polling().queue.push_back(close_frame());
    state_ = State::draining;
    deadline_ = server_.options().clock->steady_now() + server_.options().ping_timeout;
    server_.wheel(loop_index_).schedule(*this, deadline_);
    drop_websocket();
    // The handler stays alive until the session is reaped: it may be on the stack.
    if (handler_) handler_->on_close(reason);
    return;
  }
  if (transport_ == Transport::polling) polling().queue.push_back(close_frame());
  end(reason, false);
}

void Session::end(std::string_view reason, bool client_initiated) {
  if (state_ == State::closed) return;
  const bool was_open = state_ == State::open;
  state_ = State::closed;
  server_.wheel(loop_index_).cancel(*this);
  if (poll_waiting()) {
    if (client_initiated || polling_->queue.empty()) polling_->queue.push_back(noop_frame());
    flush_poll();
  }
  clear_queue();
  drop_websocket();
  spdlog::debug("engine.io session {} closed: {}", id_.view(), reason);
  // The handler stays alive until the session is reaped: it may be on the stack.
  if (was_open && handler_) handler_->on_close(reason);
  server_.reap(*this);
}

} // namespace herald::engineio
