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

void Ack::operator()(Payload reply) {
  if (used_) return;
  used_ = true;
  if (auto s = socket_.lock(); s && s->connected()) s->send_ack(id_, std::move(reply));
}

Socket::Socket(Client& client, Namespace& nsp, std::string id, Handshake handshake)
    : client_(client), nsp_(nsp), id_(id), handshake_(std::make_unique<Handshake>(std::move(handshake))) {}

const Handshake& Socket::empty_handshake() {
  static const Handshake empty;
  return empty;
}

Socket::~Socket() = default;

void Socket::send_packet(Packet& packet) {
  packet.nsp = nsp_.name();
  client_.send(packet);
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
    if (!self->acks_) return;
    auto it = self->acks_->find(id);
    if (it == self->acks_->end()) return;
    auto p = std::move(it->second);
    self->acks_->erase(it);
    if (self->acks_->empty()) self->acks_.reset();
    if (p->done) p->done(std::nullopt);
  });
  if (!acks_) acks_ = std::make_unique<std::unordered_map<uint64_t, std::unique_ptr<PendingAck>>>();
  acks_->emplace(id, std::move(pending));
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
  if (!acks_ || !acks_->contains(*packet.id)) {
    // Not ours: late (the timeout already answered) or an id the application chose.
    if (packet.data.is_array())
      nsp_.dispatch_unmatched_ack(*this, *packet.id,
                                  Payload{std::move(packet.data.as_array()), std::move(packet.buffers)});
    return;
  }
  auto it = acks_->find(*packet.id);
  auto p = std::move(it->second);
  acks_->erase(it);
  if (acks_->empty()) acks_.reset();
  p->timer->cancel();
  if (p->done) p->done(Payload{std::move(packet.data.as_array()), std::move(packet.buffers)});
}

void Socket::join(std::string_view room) {
  if (in(room)) return;
  if (connected_) return rooms_.push_back(nsp_.join(*this, room));
  // Not in the index yet: Namespace::add interns these when the socket is admitted.
  if (!pending_rooms_) pending_rooms_ = std::make_unique<std::vector<std::string>>();
  pending_rooms_->emplace_back(room);
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
  if (!pending_rooms_) return;
  std::erase(*pending_rooms_, room);
}

bool Socket::in(std::string_view room) const {
  for (const auto& slot : rooms_)
    if (slot.room->first == room) return true;
  return pending_rooms_ &&
         std::find(pending_rooms_->begin(), pending_rooms_->end(), room) != pending_rooms_->end();
}

std::vector<std::string> Socket::rooms() const {
  std::vector<std::string> names;
  for (const auto& slot : rooms_)
    names.push_back(slot.room->first);
  if (pending_rooms_) names.insert(names.end(), pending_rooms_->begin(), pending_rooms_->end());
  return names;
}

std::vector<std::string> Socket::take_pending_rooms() {
  if (!pending_rooms_) return {};
  auto names = std::move(*pending_rooms_);
  pending_rooms_.reset();
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
  auto acks = std::move(acks_);
  if (acks)
    for (auto& [id, p] : *acks) {
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
