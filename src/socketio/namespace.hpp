#pragma once
// A Socket.IO namespace: its middleware, its handlers, and its rooms. Handlers are set
// before the server starts and are then read-only, so every loop reads them lock-free.
// Room membership is per loop: a broadcast visits each loop's own index.

#include "engineio/packet.hpp"
#include "socketio/packet.hpp"
#include "socketio/socket.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace herald::socketio {

class Adapter;
class Server;

using EventHandler = std::function<void(Socket&, Payload&&, Ack)>;
using AnyEventHandler = std::function<void(Socket&, std::string_view event, Payload&&, Ack)>;
using ConnectionHandler = std::function<void(Socket&)>;
using DisconnectHandler = std::function<void(Socket&, std::string_view reason)>;
// An ACK whose id this server never registered on the socket: ids chosen by the
// application when it broadcast the packet (see Packet::id).
using UnmatchedAckHandler = std::function<void(Socket&, uint64_t id, Payload&&)>;

struct ConnectError {
  std::string message;
  boost::json::value data; // sent as CONNECT_ERROR's `data` unless null
};
// Makes the namespace's sockets. An application may return a class derived from Socket, so
// that its per-socket state shares the socket's allocation.
using SocketFactory = std::function<std::shared_ptr<Socket>(Client&, Namespace&, std::string id, Handshake)>;
// Runs before a socket is admitted; an error refuses it with CONNECT_ERROR.
using Middleware = std::function<std::optional<ConnectError>(Socket&)>;

struct BroadcastOptions {
  std::vector<std::string> rooms;  // empty: every socket of the namespace
  std::vector<std::string> except; // sockets in any of these rooms are skipped
  bool local = false;              // this node's sockets only, never other nodes'
};

// Encoded once, shared by every recipient: the text packet then its attachments.
using EncodedPacket = std::vector<engineio::SharedOutFrame>;
EncodedPacket encode_for_wire(const Packet& packet);
using EncodedBatch = std::vector<std::pair<BroadcastOptions, EncodedPacket>>;

// Distinct packets, one per room, each built on a loop only when the room has sockets
// there: a notification to 19,000 users costs no packet for those who are offline, and
// none on the thread that asked for the fan-out. Read from several loops at once, so the
// implementation must be safe to call concurrently (const, no shared mutable state).
class RoomFanout {
public:
  virtual ~RoomFanout() = default;
  virtual std::size_t size() const = 0;
  // The room of entry `i`; `scratch` may hold the name.
  virtual std::string_view room(std::size_t i, std::string& scratch) const = 0;
  // Members of this room on this node are skipped for entry `i` (empty: none); other
  // nodes deliver the entry to the whole room.
  virtual std::string_view except(std::size_t i) const = 0;
  // Entry `i`'s packet; empty if it cannot be encoded (then nobody gets it).
  virtual EncodedPacket packet(std::size_t i) const = 0;
};

class BroadcastOperator {
public:
  BroadcastOperator(Namespace& nsp, BroadcastOptions options) : nsp_(nsp), options_(std::move(options)) {}
  BroadcastOperator& to(std::string room) {
    options_.rooms.push_back(std::move(room));
    return *this;
  }
  BroadcastOperator& except(std::string room) {
    options_.except.push_back(std::move(room));
    return *this;
  }
  // Thread-safe.
  void emit(std::string_view event, boost::json::array args = {}, std::vector<std::string> attachments = {});

private:
  Namespace& nsp_;
  BroadcastOptions options_;
};

class Namespace {
public:
  Namespace(Server& server, std::string name, std::size_t loop_count);

  const std::string& name() const { return name_; }
  Server& server() const { return server_; }

  Namespace& use(Middleware middleware);
  Namespace& on_connection(ConnectionHandler handler);
  Namespace& on_disconnect(DisconnectHandler handler);
  Namespace& on(std::string event, EventHandler handler);
  // For events without a handler of their own.
  Namespace& on_any(AnyEventHandler handler);
  Namespace& on_unmatched_ack(UnmatchedAckHandler handler);
  Namespace& socket_factory(SocketFactory factory);

  BroadcastOperator to(std::string room) { return BroadcastOperator(*this, {{std::move(room)}, {}}); }
  BroadcastOperator except(std::string room) { return BroadcastOperator(*this, {{}, {std::move(room)}}); }
  // To every socket of the namespace. Thread-safe.
  void emit(std::string_view event, boost::json::array args = {}, std::vector<std::string> attachments = {});
  // Sends `packet` to the sockets that `options` select, on every loop. Thread-safe.
  void broadcast(const Packet& packet, const BroadcastOptions& options);
  // Many packets, each to its own selection of sockets, in one hop per loop (a fan-out of
  // distinct payloads, such as one notification per user with its own recipient id).
  // Thread-safe.
  void broadcast_each(std::vector<std::pair<BroadcastOptions, Packet>> packets);
  // The same with packets encoded by the caller. Thread-safe.
  void broadcast_encoded(EncodedBatch packets);
  // The same with packets built on each loop, for the rooms it has. Thread-safe.
  void fan_out(std::shared_ptr<const RoomFanout> fanout);
  // The part of a broadcast that runs on one loop.
  void deliver_local(std::size_t loop, const EncodedPacket& frames, const BroadcastOptions& options);

  // --- for cluster adapters (socketio/adapter.hpp)
  // Every later broadcast not marked local is also handed to `adapter`. Set before start.
  void set_adapter(std::shared_ptr<Adapter> adapter) { adapter_ = std::move(adapter); }
  // A broadcast from another node: to this node's sockets only. Thread-safe.
  void broadcast_local(std::shared_ptr<const EncodedPacket> frames, BroadcastOptions options);
  // Runs `fn` on each socket of this node that `options` select, on the socket's loop, then
  // `done` once after every loop has finished (on one of them). `fn` may join, leave or
  // disconnect the socket. Thread-safe.
  void for_each_local(BroadcastOptions options, std::function<void(Socket&)> fn, std::function<void()> done);
  // Sockets connected on the calling loop.
  std::size_t local_size() const;

  // Events received from this namespace's sockets, and event packets sent to them
  // (a broadcast counts once per socket it reaches), over every loop. Thread-safe.
  uint64_t events_in() const;
  uint64_t events_out() const;
  // Internal: `n` event packets written to sockets of `loop`.
  void count_events_out(std::size_t loop, uint64_t n);

  // Internal, on the socket's loop.
  std::shared_ptr<Socket> make_socket(Client& client, std::string id, Handshake handshake);
  std::optional<ConnectError> run_middleware(Socket& socket) const;
  void add(Socket& socket);
  void remove(Socket& socket);
  Socket::RoomSlot join(Socket& socket, std::string_view room);
  void leave(Socket& socket, Socket::RoomSlot slot);
  void dispatch(Socket& socket, std::string_view event, Payload&& payload, Ack ack) const;
  void notify_connection(Socket& socket) const;
  void notify_disconnect(Socket& socket, std::string_view reason) const;
  void dispatch_unmatched_ack(Socket& socket, uint64_t id, Payload&& payload) const;

private:
  // noexcept, so that the room index's nodes do not cache the hash (a user: room node then
  // takes 64 bytes of heap instead of 80); the names are short, and hashed again only on
  // erase and rehash.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  // Vectors rather than hash sets: a socket remembers its position in each, so leaving is
  // a swap with the last member, and an idle socket costs a pointer per room.
  struct LoopState {
    std::vector<Socket*> all;
    std::unordered_map<std::string, RoomMembers, NameHash, std::equal_to<>> rooms;
  };
  LoopState& local();
  const LoopState& local() const;
  void fan_out_local(std::size_t loop, const RoomFanout& fanout);
  // Calls `fn` once for each socket on `loop` that `options` select.
  template <class Fn> void select_local(std::size_t loop, const BroadcastOptions& options, Fn&& fn);

  // One cache line per loop: each loop counts its own sockets' events.
  struct alignas(64) LoopCounters {
    std::atomic<uint64_t> in{0};
    std::atomic<uint64_t> out{0};
  };

  Server& server_;
  std::string name_;
  std::vector<Middleware> middleware_;
  ConnectionHandler on_connection_;
  DisconnectHandler on_disconnect_;
  std::unordered_map<std::string, EventHandler> handlers_;
  AnyEventHandler on_any_;
  UnmatchedAckHandler on_unmatched_ack_;
  SocketFactory socket_factory_;
  std::vector<LoopState> loops_;
  std::unique_ptr<LoopCounters[]> counters_;
  std::shared_ptr<Adapter> adapter_;
};

} // namespace herald::socketio
