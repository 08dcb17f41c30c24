#pragma once
// notify::Emitter over Socket.IO: each event goes to the room user:{id} of /notifications,
// a whole fan-out in one hop per event loop.

#include "notify/emitter.hpp"
#include "socketio/namespace.hpp"

namespace herald::app {

class SocketioEmitter final : public notify::Emitter {
public:
  explicit SocketioEmitter(socketio::Namespace& nsp) : nsp_(nsp) {}
  void to_users(std::vector<notify::UserEvent> events) override;

private:
  socketio::Namespace& nsp_;
};

// The Socket.IO packet of one user event (for a direct send to one socket).
socketio::Packet event_packet(notify::UserEvent&& event);

} // namespace herald::app
