#pragma once
// Socket.IO v5 packets as pure functions: the text header + JSON encoding, binary
// attachments carried separately (one Engine.IO binary message each), and the payload
// rules of the protocol (an EVENT is an array that starts with the event name, ...).

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::socketio {

enum class PacketType : uint8_t {
  connect = 0,
  disconnect = 1,
  event = 2,
  ack = 3,
  connect_error = 4,
  binary_event = 5,
  binary_ack = 6,
};

struct Packet {
  PacketType type = PacketType::event;
  std::string nsp = "/";
  std::optional<uint64_t> id;
  boost::json::value data;          // null when the packet has no payload
  std::size_t attachments = 0;      // binary packets: how many buffers follow
  std::vector<std::string> buffers; // binary packets: the buffers, once received
};

// Parses the text part of a packet. Returns nullopt for anything the protocol rejects:
// unknown type, bad attachment count, bad JSON, a payload of the wrong shape.
// `max_attachments` bounds what a client may announce.
std::optional<Packet> decode(std::string_view text, std::size_t max_attachments = 64);

// The text part of `packet` (for binary packets, the buffers are sent after it).
// A packet with buffers is sent as binary_event / binary_ack automatically.
std::string encode(const Packet& packet);

// The event name of an EVENT payload (first element, a string or a number).
std::optional<std::string> event_name(const boost::json::value& data);

// {"_placeholder":true,"num":n}: stands for attachment n inside a binary packet.
boost::json::value placeholder(std::size_t num);
// The attachment index if `v` is a placeholder.
std::optional<std::size_t> placeholder_index(const boost::json::value& v);

} // namespace herald::socketio
