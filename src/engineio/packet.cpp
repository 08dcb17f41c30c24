#include "engineio/packet.hpp"

#include "core/ids.hpp"
#include "transport/ws_frame.hpp"

namespace herald::engineio {

std::optional<Packet> decode_packet(std::string_view text, bool allow_base64) {
  if (text.empty()) return std::nullopt;
  const char t = text.front();
  if (t == 'b' && allow_base64) {
    auto bytes = core::base64_decode(text.substr(1));
    if (!bytes) return std::nullopt;
    return Packet{PacketType::message, true, std::move(*bytes)};
  }
  if (t < '0' || t > '6') return std::nullopt;
  return Packet{static_cast<PacketType>(t), false, std::string(text.substr(1))};
}

std::optional<std::vector<Packet>> decode_payload(std::string_view body) {
  std::vector<Packet> packets;
  std::size_t start = 0;
  while (start <= body.size()) {
    const auto sep = body.find('\x1e', start);
    const auto end = sep == std::string_view::npos ? body.size() : sep;
    auto packet = decode_packet(body.substr(start, end - start), true);
    if (!packet) return std::nullopt;
    packets.push_back(std::move(*packet));
    if (sep == std::string_view::npos) break;
    start = sep + 1;
  }
  return packets;
}

SharedOutFrame make_text_frame(PacketType type, std::string_view data) {
  return make_text_frame(type, {data});
}

SharedOutFrame make_text_frame(PacketType type, std::initializer_list<std::string_view> data) {
  std::size_t size = 1;
  for (auto part : data)
    size += part.size();
  auto f = std::make_shared<OutFrame>();
  f->wire.reserve(size + 10); // at most 10 bytes of WebSocket header
  transport::ws::append_header(f->wire, transport::ws::Opcode::text, size);
  f->header_size = f->wire.size();
  f->wire += static_cast<char>(type);
  for (auto part : data)
    f->wire += part;
  return f;
}

SharedOutFrame make_binary_frame(std::string_view bytes) {
  auto f = std::make_shared<OutFrame>();
  transport::ws::append_header(f->wire, transport::ws::Opcode::binary, bytes.size());
  f->header_size = f->wire.size();
  f->wire += bytes;
  f->binary = true;
  return f;
}

void append_to_payload(std::string& payload, const OutFrame& frame) {
  if (!payload.empty()) payload += '\x1e';
  if (frame.binary) {
    payload += 'b';
    payload += core::base64_encode(frame.payload());
  } else {
    payload += frame.payload();
  }
}

} // namespace herald::engineio
