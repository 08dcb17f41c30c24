#pragma once
// The other nodes' half of a namespace's broadcasts. A cluster adapter (cluster::RedisAdapter)
// implements it; the namespace calls it for every broadcast not marked local, after queueing
// the local delivery, and the adapter delivers what other nodes send through
// Namespace::broadcast_local. The protocol layer never knows how nodes talk.

#include "socketio/namespace.hpp"

#include <memory>

namespace herald::socketio {

class Adapter {
public:
  virtual ~Adapter() = default;
  // `frames` to the sockets that `options` select on other nodes. Any thread; must not block.
  virtual void publish(std::shared_ptr<const EncodedPacket> frames, const BroadcastOptions& options) = 0;
  // Every entry of `fanout` to its room on other nodes, whatever this node holds. Any
  // thread; must not block. RoomFanout::except applies on this node only.
  virtual void publish_fan_out(std::shared_ptr<const RoomFanout> fanout) = 0;
};

} // namespace herald::socketio
