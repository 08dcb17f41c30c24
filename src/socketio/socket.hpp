#pragma once
// One client's connection to one namespace. Lives on its session's loop; every method
// must be called there (handlers are). Other threads reach sockets through broadcasts.

#include "engineio/session.hpp"

#include <boost/container/small_vector.hpp>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace herald::socketio {

class Client;
class Namespace;
struct Packet;

// Arguments of an event or an ack; binary attachments stand in `args` as placeholders.
struct Payload {
  boost::json::array args;
  std::vector<std::string> attachments;
};

// What the client sent in its handshake, kept for middleware and handlers.
struct Handshake {
  boost::json::value auth;   // the CONNECT payload (an object, or null)
  std::string query;         // the Engine.IO handshake query string
  std::string authorization; // the Authorization header, if any
  std::string remote_address;
};

class Socket;

// The sockets of one room on one loop. Most rooms (user:{id}) hold a single socket, which
// then needs no allocation of its own.
class RoomMembers {
public:
  std::span<Socket* const> items() const {
    return many_ ? std::span<Socket* const>(*many_) : std::span<Socket* const>(&one_, one_ ? 1 : 0);
  }
  std::span<Socket*> items() { return many_ ? std::span<Socket*>(*many_) : std::span(&one_, one_ ? 1 : 0); }
  auto begin() const { return items().begin(); }
  auto end() const { return items().end(); }
  std::size_t size() const { return items().size(); }
  bool empty() const { return size() == 0; }
  void push_back(Socket* s) {
    if (many_) return many_->push_back(s);
    if (!one_) {
      one_ = s;
      return;
    }
    many_ = std::make_unique<std::vector<Socket*>>(std::initializer_list<Socket*>{one_, s});
    one_ = nullptr;
  }
  void pop_back() {
    if (!many_) {
      one_ = nullptr;
    } else if (many_->size() == 2) {
      one_ = many_->front();
      many_.reset(); // back inline: free the heap blocks
    } else {
      many_->pop_back();
    }
  }

private:
  Socket* one_ = nullptr; // the only member, while there is one
  // Every member, once there are two or more; a pointer, as most rooms never need it.
  std::unique_ptr<std::vector<Socket*>> many_;
};
// A room of the namespace's per-loop index: its name and its members.
using RoomEntry = std::pair<const std::string, RoomMembers>;

// The reply function of an event whose sender asked for an acknowledgement. Calling an
// empty Ack, calling it twice, or after the socket left, does nothing.
class Ack {
public:
  Ack() = default;
  Ack(std::weak_ptr<Socket> socket, uint64_t id) : socket_(std::move(socket)), id_(id) {}
  explicit operator bool() const { return !socket_.expired() && !used_; }
  void operator()(Payload reply);
  void operator()(boost::json::array args) { (*this)(Payload{std::move(args), {}}); }

private:
  std::weak_ptr<Socket> socket_;
  uint64_t id_ = 0;
  bool used_ = false;
};

class Socket : public std::enable_shared_from_this<Socket> {
public:
  // Ids are kIdBytes random bytes, base64url: kIdLength characters.
  static constexpr std::size_t kIdBytes = 15;
  static constexpr std::size_t kIdLength = kIdBytes / 3 * 4;

  Socket(Client& client, Namespace& nsp, std::string id, Handshake handshake);
  ~Socket();

  std::string_view id() const { return id_; }
  Namespace& nsp() const { return nsp_; }
  // Empty after the connection handler when the server does not retain handshakes.
  const Handshake& handshake() const;
  void release_handshake();
  Client& client() const { return client_; }
  bool connected() const { return connected_; }

  // Sends an event to this socket.
  void emit(std::string_view event, boost::json::array args = {}, std::vector<std::string> attachments = {});
  // Sends an event and waits `timeout` for the client's ack: `done` gets the reply, or
  // nullopt when the time ran out or the socket left first.
  void emit_with_ack(std::string_view event, boost::json::array args, std::chrono::milliseconds timeout,
                     std::function<void(std::optional<Payload>)> done);

  void join(std::string_view room);
  void leave(std::string_view room);
  bool in(std::string_view room) const;
  // The names of the rooms the socket is in.
  std::vector<std::string> rooms() const;

  // Leaves the namespace (the client gets DISCONNECT); with `close_connection`, ends the
  // whole connection and every namespace on it.
  void disconnect(bool close_connection = false);

  // Internal: used by Client and Namespace.
  void send_packet(Packet& packet);
  void on_event(Packet&& packet);
  void on_ack(Packet&& packet);
  void on_disconnected(std::string_view reason);
  void mark_connected() { connected_ = true; }
  void send_ack(uint64_t id, Payload reply);

  // Internal, for Namespace: where this socket sits in the loop's room index.
  struct RoomSlot {
    RoomEntry* room;
    uint32_t pos; // index in room->second
  };
  // Inline room for three: a gateway socket is in user:, dept: and broadcast.
  using RoomSlots = boost::container::small_vector<RoomSlot, 3>;
  RoomSlots& room_slots() { return rooms_; }
  uint32_t& all_pos() { return all_pos_; }
  std::vector<std::string> take_pending_rooms();

private:
  struct PendingAck;
  struct Extras;
  Client& client_;
  Namespace& nsp_;
  engineio::ShortId id_;
  static const Handshake& empty_handshake();

  Extras& extras();
  void drop_extras_if_empty();

  RoomSlots rooms_; // rooms joined while connected, interned in the index
  // The handshake until released, rooms joined before connecting, acks awaited: behind one
  // pointer, null while none of them is held (an idle socket of a server that does not
  // retain handshakes pays 8 bytes for all three).
  std::unique_ptr<Extras> extras_;
  uint64_t next_ack_id_ = 0;
  uint32_t all_pos_ = 0; // index in the namespace's list of the loop's sockets
  bool connected_ = false;
};

} // namespace herald::socketio
