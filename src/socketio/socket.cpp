#include "socketio/socket.hpp"

#include "socketio/client.hpp"
#include "socketio/namespace.hpp"
#include "socketio/packet.hpp"
#include "socketio/server.hpp"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>

namespace herald::socketio {

struct Socket::PendingAck {
  std::function<void(std::optional<Payload>)> done;
  std::unique_ptr<boost::asio::steady_timer> timer;
};

struct Socket::Extras {
  std::optional<Handshake> handshake; // until released (ServerOptions::retain_handshake)
  std::vector<std::string> pending_rooms;
  std::unordered_map<uint64_t, std::unique_ptr<PendingAck>> acks; // by ack id
};

Socket::Extras& Socket::extras() {
  if (!extras_) extras_ = std::make_unique<Extras>();
  return *extras_;
}

void Socket::drop_extras_if_empty() {
  if (extras_ && !extras_->handshake && extras_->pending_rooms.empty() && extras_->acks.empty())
    extras_.reset();
}

const Handshake& Socket::handshake() const {
  return extras_ && extras_->handshake ? *extras_->handshake : empty_handshake();
}

void Socket::release_handshake() {
  if (!extras_) return;
  extras_->handshake.reset();
  drop_extras_if_empty();
}

void Ack::operator()(Payload reply) {
  if (used_) return;
  used_ = true;
  if (auto s = socket_.lock(); s && s->connected()) s->send_ack(id_, std::move(reply));
}

Socket::Socket(Client& client, Namespace& nsp, std::string id, Handshake handshake)
    : client_(client), nsp_(nsp), id_(id) {
  extras().handshake.emplace(std::move(handshake));
}

const Handshake& Socket::empty_handshake() {
  static const Handshake empty;
  return empty;
}

Socket::~Socket() = default;

void Socket::send_packet(Packet& packet) {
  packet.nsp = nsp_.name();
  client_.send(packet);
  if (packet.type == PacketType::event || packet.type == PacketType::binary_event)
    nsp_.count_events_out(client_.session().loop_index(), 1);
}

void Socket::emit(std::string_view event, boost::json::array args, std::vector<std::string> attachments) {
  if (!connected_) return;
  Packet p;
  p.type = PacketType::event;
  args.emplace(args.begin(), boost::json::string(event));
  p.data = std::move(args);
  p.buffers = std::move(attachments);
  send_packet(p);
}

void Socket::emit_with_ack(std::string_view event, boost::json::array args, std::chrono::milliseconds timeout,
                           std::function<void(std::optional<Payload>)> done) {
  if (!connected_) {
    if (done) done(std::nullopt);
    return;
  }
  const uint64_t id = next_ack_id_++;
  auto pending = std::make_unique<PendingAck>();
  pending->done = std::move(done);
  pending->timer = std::make_unique<boost::asio::steady_timer>(
      client_.server().loops().loop(client_.session().loop_index()));
  pending->timer->expires_after(timeout);
  pending->timer->async_wait([weak = weak_from_this(), id](const boost::system::error_code& ec) {
    if (ec) return;
    auto self = weak.lock();
    if (!self) return;
    if (!self->extras_) return;
    auto& acks = self->extras_->acks;
    auto it = acks.find(id);
    if (it == acks.end()) return;
    auto p = std::move(it->second);
    acks.erase(it);
    self->drop_extras_if_empty();
    if (p->done) p->done(std::nullopt);
  });
  extras().acks.emplace(id, std::move(pending));
  Packet p;
  p.type = PacketType::event;
  p.id = id;
  args.emplace(args.begin(), boost::json::string(event));
  p.data = std::move(args);
  send_packet(p);
}

void Socket::send_ack(uint64_t id, Payload reply) {
  Packet p;
  p.type = PacketType::ack;
  p.id = id;
  p.data = std::move(reply.args);
  p.buffers = std::move(reply.attachments);
  send_packet(p);
}

void Socket::on_event(Packet&& packet) {
  auto name = event_name(packet.data);
  if (!name) return;
  auto& arr = packet.data.as_array();
  arr.erase(arr.begin());
  Payload payload{std::move(arr), std::move(packet.buffers)};
  Ack ack = packet.id ? Ack(weak_from_this(), *packet.id) : Ack();
  nsp_.dispatch(*this, *name, std::move(payload), std::move(ack));
}

void Socket::on_ack(Packet&& packet) {
  if (!packet.id) return;
  if (!extras_ || !extras_->acks.contains(*packet.id)) {
    // Not ours: late (the timeout already answered) or an id the application chose.
    if (packet.data.is_array())
      nsp_.dispatch_unmatched_ack(*this, *packet.id,
                                  Payload{std::move(packet.data.as_array()), std::move(packet.buffers)});
    return;
  }
  auto& acks = extras_->acks;
  auto it = acks.find(*packet.id);
  auto p = std::move(it->second);
  acks.erase(it);
  drop_extras_if_empty();
  p->timer->cancel();
  if (p->done) p->done(Payload{std::move(packet.data.as_array()), std::move(packet.buffers)});
}

void Socket::join(std::string_view room) {
  if (in(room)) return;
  if (connected_) return rooms_.push_back(nsp_.join(*this, room));
  // Not in the index yet: Namespace::add interns these when the socket is admitted.
  extras().pending_rooms.emplace_back(room);
}

void Socket::leave(std::string_view room) {
  for (auto& slot : rooms_)
    if (slot.room->first == room) {
      const RoomSlot gone = slot;
      slot = rooms_.back();
      rooms_.pop_back();
      nsp_.leave(*this, gone);
      return;
    }
  if (!extras_) return;
  std::erase(extras_->pending_rooms, room);
  drop_extras_if_empty();
}

bool Socket::in(std::string_view room) const {
  for (const auto& slot : rooms_)
    if (slot.room->first == room) return true;
  if (!extras_) return false;
  const auto& pending = extras_->pending_rooms;
  return std::find(pending.begin(), pending.end(), room) != pending.end();
}

std::vector<std::string> Socket::rooms() const {
  std::vector<std::string> names;
  for (const auto& slot : rooms_)
    names.push_back(slot.room->first);
  if (extras_) names.insert(names.end(), extras_->pending_rooms.begin(), extras_->pending_rooms.end());
  return names;
}

std::vector<std::string> Socket::take_pending_rooms() {
  if (!extras_) return {};
  auto names = std::move(extras_->pending_rooms);
  extras_->pending_rooms.clear();
  drop_extras_if_empty();
  return names;
}

void Socket::disconnect(bool close_connection) {
  if (!connected_) return;
  if (close_connection) return client_.close();
  Packet p;
  p.type = PacketType::disconnect;
  send_packet(p);
  client_.detach(*this, "server namespace disconnect");
}

void Socket::on_disconnected(std::string_view reason) {
  if (!connected_) return;
  connected_ = false;
  auto self = shared_from_this(); // handlers below may drop the last other reference
  std::unordered_map<uint64_t, std::unique_ptr<PendingAck>> acks;
  if (extras_) {
    acks = std::move(extras_->acks);
    extras_->acks.clear();
    drop_extras_if_empty();
  }
  for (auto& [id, p] : acks) {
    p->timer->cancel();
    if (p->done) p->done(std::nullopt);
  }
  auto slots = std::move(rooms_);
  rooms_.clear();
  for (const auto& slot : slots)
    nsp_.leave(*this, slot);
  nsp_.remove(*this);
  nsp_.notify_disconnect(*this, reason);
}

} // namespace herald::socketio
