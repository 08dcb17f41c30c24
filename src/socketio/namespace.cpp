#include "socketio/namespace.hpp"

#include "core/loop_group.hpp"
#include "socketio/adapter.hpp"
#include "socketio/client.hpp"
#include "socketio/server.hpp"

#include <atomic>
#include <cctype>
#include <memory>

namespace herald::socketio {

EncodedPacket encode_for_wire(const Packet& packet) {
  EncodedPacket frames;
  frames.reserve(1 + packet.buffers.size());
  frames.push_back(engineio::make_text_frame(engineio::PacketType::message, encode(packet)));
  for (const auto& b : packet.buffers)
    frames.push_back(engineio::make_binary_frame(b));
  return frames;
}

void BroadcastOperator::emit(std::string_view event, boost::json::array args,
                             std::vector<std::string> attachments) {
  Packet p;
  p.type = PacketType::event;
  p.nsp = nsp_.name();
  args.emplace(args.begin(), boost::json::string(event));
  p.data = std::move(args);
  p.buffers = std::move(attachments);
  nsp_.broadcast(p, options_);
}

Namespace::Namespace(Server& server, std::string name, std::size_t loop_count)
    : server_(server), name_(std::move(name)), loops_(loop_count),
      counters_(std::make_unique<LoopCounters[]>(loop_count)) {}

uint64_t Namespace::events_in() const {
  uint64_t n = 0;
  for (std::size_t i = 0; i < loops_.size(); ++i)
    n += counters_[i].in.load(std::memory_order_relaxed);
  return n;
}

uint64_t Namespace::events_out() const {
  uint64_t n = 0;
  for (std::size_t i = 0; i < loops_.size(); ++i)
    n += counters_[i].out.load(std::memory_order_relaxed);
  return n;
}

void Namespace::count_events_out(std::size_t loop, uint64_t n) {
  if (n != 0 && loop < loops_.size()) counters_[loop].out.fetch_add(n, std::memory_order_relaxed);
}

Namespace& Namespace::use(Middleware middleware) {
  middleware_.push_back(std::move(middleware));
  return *this;
}
Namespace& Namespace::on_connection(ConnectionHandler handler) {
  on_connection_ = std::move(handler);
  return *this;
}
Namespace& Namespace::on_disconnect(DisconnectHandler handler) {
  on_disconnect_ = std::move(handler);
  return *this;
}
Namespace& Namespace::on(std::string event, EventHandler handler) {
  handlers_[std::move(event)] = std::move(handler);
  return *this;
}
Namespace& Namespace::on_any(AnyEventHandler handler) {
  on_any_ = std::move(handler);
  return *this;
}

Namespace& Namespace::on_unmatched_ack(UnmatchedAckHandler handler) {
  on_unmatched_ack_ = std::move(handler);
  return *this;
}

Namespace& Namespace::socket_factory(SocketFactory factory) {
  socket_factory_ = std::move(factory);
  return *this;
}

std::shared_ptr<Socket> Namespace::make_socket(Client& client, std::string id, Handshake handshake) {
  if (socket_factory_) return socket_factory_(client, *this, std::move(id), std::move(handshake));
  return std::make_shared<Socket>(client, *this, std::move(id), std::move(handshake));
}

void Namespace::dispatch_unmatched_ack(Socket& socket, uint64_t id, Payload&& payload) const {
  if (on_unmatched_ack_) on_unmatched_ack_(socket, id, std::move(payload));
}

void Namespace::broadcast_each(std::vector<std::pair<BroadcastOptions, Packet>> packets) {
  EncodedBatch batch;
  batch.reserve(packets.size());
  for (auto& [options, packet] : packets) {
    packet.nsp = name_;
    batch.emplace_back(std::move(options), encode_for_wire(packet));
  }
  broadcast_encoded(std::move(batch));
}

void Namespace::broadcast_encoded(EncodedBatch packets) {
  if (adapter_)
    for (const auto& [options, frames] : packets)
      if (!options.local) adapter_->publish(std::make_shared<const EncodedPacket>(frames), options);
  auto batch = std::make_shared<const EncodedBatch>(std::move(packets));
  auto& loops = server_.loops();
  for (std::size_t i = 0; i < loops.size(); ++i) {
    loops.post(i, [this, i, batch] {
      for (const auto& [options, frames] : *batch)
        deliver_local(i, frames, options);
    });
  }
}

namespace {
void send_frames(Socket& socket, const EncodedPacket& frames) {
  auto& session = socket.client().session();
  for (const auto& f : frames)
    session.send(f);
}
} // namespace

void Namespace::fan_out(std::shared_ptr<const RoomFanout> fanout) {
  if (adapter_) adapter_->publish_fan_out(fanout);
  auto& loops = server_.loops();
  for (std::size_t i = 0; i < loops.size(); ++i)
    loops.post(i, [this, i, fanout] { fan_out_local(i, *fanout); });
}

void Namespace::fan_out_local(std::size_t loop, const RoomFanout& fanout) {
  auto& state = loops_[loop];
  std::string scratch;
  for (std::size_t i = 0; i < fanout.size(); ++i) {
    auto it = state.rooms.find(fanout.room(i, scratch));
    if (it == state.rooms.end()) continue;
    const auto except = fanout.except(i);
    EncodedPacket frames;
    uint64_t sent = 0;
    for (auto* s : it->second) {
      if (!except.empty() && s->in(except)) continue;
      if (frames.empty()) frames = fanout.packet(i);
      send_frames(*s, frames);
      ++sent;
    }
    count_events_out(loop, sent);
  }
}

void Namespace::emit(std::string_view event, boost::json::array args, std::vector<std::string> attachments) {
  BroadcastOperator(*this, {}).emit(event, std::move(args), std::move(attachments));
}

void Namespace::broadcast(const Packet& packet, const BroadcastOptions& options) {
  auto frames = std::make_shared<const EncodedPacket>(encode_for_wire(packet));
  if (adapter_ && !options.local) adapter_->publish(frames, options);
  broadcast_local(std::move(frames), options);
}

void Namespace::broadcast_local(std::shared_ptr<const EncodedPacket> frames, BroadcastOptions options) {
  auto opts = std::make_shared<const BroadcastOptions>(std::move(options));
  auto& loops = server_.loops();
  for (std::size_t i = 0; i < loops.size(); ++i)
    loops.post(i, [this, i, frames, opts] { deliver_local(i, *frames, *opts); });
}

void Namespace::deliver_local(std::size_t loop, const EncodedPacket& frames,
                              const BroadcastOptions& options) {
  uint64_t sent = 0;
  select_local(loop, options, [&](Socket* s) {
    send_frames(*s, frames);
    ++sent;
  });
  count_events_out(loop, sent);
}

namespace {
// As in Socket.IO, a socket's id names a room holding that socket alone. Such rooms are not
// in the index (it would cost every connection an entry); a name of the shape of our socket
// ids (Socket::kIdLength characters of base64url) is looked up among the loop's sockets
// instead. Room names the application uses (user:{id}, ...) never have that shape.
bool looks_like_socket_id(std::string_view room) {
  if (room.size() != Socket::kIdLength) return false;
  for (char c : room)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}
} // namespace

template <class Fn> void Namespace::select_local(std::size_t loop, const BroadcastOptions& options, Fn&& fn) {
  auto& state = loops_[loop];
  auto excluded = [&](Socket* s) {
    for (const auto& r : options.except)
      if (s->in(r) || s->id() == r) return true;
    return false;
  };
  auto by_id = [&](std::string_view id) -> Socket* {
    if (!looks_like_socket_id(id)) return nullptr;
    for (auto* s : state.all)
      if (s->id() == id) return s;
    return nullptr;
  };
  if (options.rooms.empty()) {
    for (auto* s : state.all)
      if (!excluded(s)) fn(s);
    return;
  }
  if (options.rooms.size() == 1) {
    auto it = state.rooms.find(options.rooms.front());
    if (it == state.rooms.end()) {
      if (auto* s = by_id(options.rooms.front()); s && !excluded(s)) fn(s);
      return;
    }
    for (auto* s : it->second)
      if (!excluded(s)) fn(s);
    return;
  }
  // Several rooms: a socket in two of them is selected once.
  std::unordered_set<Socket*> seen;
  for (const auto& room : options.rooms) {
    auto it = state.rooms.find(room);
    if (it == state.rooms.end()) {
      if (auto* s = by_id(room); s && seen.insert(s).second && !excluded(s)) fn(s);
      continue;
    }
    for (auto* s : it->second)
      if (seen.insert(s).second && !excluded(s)) fn(s);
  }
}

void Namespace::for_each_local(BroadcastOptions options, std::function<void(Socket&)> fn,
                               std::function<void()> done) {
  struct Shared {
    BroadcastOptions options;
    std::function<void(Socket&)> fn;
    std::function<void()> done;
    std::atomic<std::size_t> loops_left;
  };
  auto& loops = server_.loops();
  auto shared = std::make_shared<Shared>();
  shared->options = std::move(options);
  shared->fn = std::move(fn);
  shared->done = std::move(done);
  shared->loops_left = loops.size();
  for (std::size_t i = 0; i < loops.size(); ++i) {
    loops.post(i, [this, i, shared] {
      // Selected first, then called: `fn` may change the room index being walked.
      std::vector<std::shared_ptr<Socket>> selected;
      select_local(i, shared->options, [&](Socket* s) { selected.push_back(s->shared_from_this()); });
      for (auto& s : selected)
        shared->fn(*s);
      if (shared->loops_left.fetch_sub(1) == 1 && shared->done) shared->done();
    });
  }
}

Namespace::LoopState& Namespace::local() { return loops_[core::LoopGroup::current_index()]; }
const Namespace::LoopState& Namespace::local() const { return loops_[core::LoopGroup::current_index()]; }

std::size_t Namespace::local_size() const { return local().all.size(); }

std::optional<ConnectError> Namespace::run_middleware(Socket& socket) const {
  for (const auto& m : middleware_)
    if (auto err = m(socket)) return err;
  return std::nullopt;
}

void Namespace::add(Socket& socket) {
  auto& state = local();
  socket.all_pos() = static_cast<uint32_t>(state.all.size());
  state.all.push_back(&socket);
  auto names = socket.take_pending_rooms();
  auto& slots = socket.room_slots();
  slots.reserve(slots.size() + names.size());
  for (const auto& room : names)
    slots.push_back(join(socket, room));
}

void Namespace::remove(Socket& socket) {
  auto& all = local().all;
  const uint32_t pos = socket.all_pos();
  if (pos >= all.size() || all[pos] != &socket) return;
  all[pos] = all.back();
  all[pos]->all_pos() = pos;
  all.pop_back();
}

Socket::RoomSlot Namespace::join(Socket& socket, std::string_view room) {
  auto& rooms = local().rooms;
  auto it = rooms.find(room);
  if (it == rooms.end()) it = rooms.emplace(std::string(room), RoomMembers{}).first;
  it->second.push_back(&socket);
  return {&*it, static_cast<uint32_t>(it->second.size() - 1)};
}

void Namespace::leave(Socket& socket, Socket::RoomSlot slot) {
  auto& members = slot.room->second;
  const auto items = members.items();
  if (slot.pos >= items.size() || items[slot.pos] != &socket) return;
  // The last member takes the leaver's place, and learns its new position.
  Socket* moved = items.back();
  items[slot.pos] = moved;
  members.pop_back();
  if (moved != &socket)
    for (auto& s : moved->room_slots())
      if (s.room == slot.room) s.pos = slot.pos;
  if (members.empty()) {
    auto& rooms = local().rooms;
    rooms.erase(rooms.find(slot.room->first));
  }
}

void Namespace::dispatch(Socket& socket, std::string_view event, Payload&& payload, Ack ack) const {
  if (const auto loop = socket.client().session().loop_index(); loop < loops_.size())
    counters_[loop].in.fetch_add(1, std::memory_order_relaxed);
  if (auto it = handlers_.find(std::string(event)); it != handlers_.end()) {
    it->second(socket, std::move(payload), std::move(ack));
  } else if (on_any_) {
    on_any_(socket, event, std::move(payload), std::move(ack));
  }
}

void Namespace::notify_connection(Socket& socket) const {
  if (on_connection_) on_connection_(socket);
  if (!server_.options().retain_handshake) socket.release_handshake();
}

void Namespace::notify_disconnect(Socket& socket, std::string_view reason) const {
  if (on_disconnect_) on_disconnect_(socket, reason);
}

} // namespace herald::socketio
