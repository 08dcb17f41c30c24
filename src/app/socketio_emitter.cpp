#include "app/socketio_emitter.hpp"

#include "realtime/gateway.hpp"

#include <boost/json/array.hpp>

namespace herald::app {

socketio::Packet event_packet(notify::UserEvent&& e) {
  socketio::Packet p;
  p.type = socketio::PacketType::event;
  p.id = e.ack_id;
  p.data = boost::json::array{boost::json::string(e.event), std::move(e.payload)};
  return p;
}

void SocketioEmitter::to_users(std::vector<notify::UserEvent> events) {
  std::vector<std::pair<std::string, socketio::Packet>> packets;
  packets.reserve(events.size());
  for (auto& e : events) {
    auto room = realtime::user_room(e.user_id);
    packets.emplace_back(std::move(room), event_packet(std::move(e)));
  }
  nsp_.broadcast_each(std::move(packets));
}

} // namespace herald::app
