#pragma once
// Engine.IO v4 packets and payloads, as pure functions (no sockets): see the protocol's
// "Packet encoding" and "Payload" sections. Table-tested and fuzzed.

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::engineio {

enum class PacketType : char {
  open = '0',
  close = '1',
  ping = '2',
  pong = '3',
  message = '4',
  upgrade = '5',
  noop = '6',
};

struct Packet {
  PacketType type = PacketType::message;
  bool binary = false; // a binary message: `data` holds raw bytes
  std::string data;
};

// Decodes one text-encoded packet ("4hello", "2probe", "bAQID" when `allow_base64`).
// Returns nullopt for an empty string, an unknown type or bad base64.
std::optional<Packet> decode_packet(std::string_view text, bool allow_base64);

// Decodes an HTTP long-polling body: packets separated by the record separator 0x1E,
// binary ones base64-encoded behind a 'b'. Returns nullopt when any packet is malformed.
std::optional<std::vector<Packet>> decode_payload(std::string_view body);

// An encoded outbound packet, shared between the WebSocket queue (whole `wire`: frame
// header then payload) and the polling queue (payload only, base64 if binary). Encoding a
// broadcast once and sharing the result is what makes a fan-out cheap.
struct OutFrame {
  std::string wire;
  std::size_t header_size = 0;
  bool binary = false;

  std::string_view payload() const { return std::string_view(wire).substr(header_size); }
};
using SharedOutFrame = std::shared_ptr<const OutFrame>;

// A text packet: type character then data.
SharedOutFrame make_text_frame(PacketType type, std::string_view data = {});
// The same with `data` given in pieces, joined in one allocation (a packet spliced from a
// shared prefix and a per-recipient part).
SharedOutFrame make_text_frame(PacketType type, std::initializer_list<std::string_view> data);
// A binary message packet.
SharedOutFrame make_binary_frame(std::string_view bytes);

// Appends `frame` to a polling payload under construction.
void append_to_payload(std::string& payload, const OutFrame& frame);

} // namespace herald::engineio
