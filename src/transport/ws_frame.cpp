#include "transport/ws_frame.hpp"

#include "core/ids.hpp"

#include <cstring>
#include <openssl/sha.h>

namespace herald::transport::ws {
namespace {

bool known_opcode(uint8_t op) { return op <= 2 || (op >= 8 && op <= 10); }

ParseResult parse_frame(char* data, std::size_t size, std::size_t max_payload, bool expect_mask) {
  ParseResult r;
  if (size < 2) return r;
  const auto b0 = static_cast<uint8_t>(data[0]);
  const auto b1 = static_cast<uint8_t>(data[1]);
  const bool fin = b0 & 0x80;
  const uint8_t op = b0 & 0x0F;
  const bool masked = b1 & 0x80;
  auto fail = [&r](uint16_t code) {
    r.status = ParseStatus::error;
    r.close_code = code;
    return r;
  };
  // No extension is negotiated, so every reserved bit must be clear.
  if ((b0 & 0x70) != 0 || !known_opcode(op) || masked != expect_mask) return fail(close_protocol_error);
  std::size_t pos = 2;
  uint64_t len = b1 & 0x7F;
  if (len == 126) {
    if (size < 4) return r;
    len = (static_cast<uint8_t>(data[2]) << 8) | static_cast<uint8_t>(data[3]);
    pos = 4;
  } else if (len == 127) {
    if (size < 10) return r;
    len = 0;
    for (int i = 0; i < 8; ++i)
      len = (len << 8) | static_cast<uint8_t>(data[2 + i]);
    if (len >> 63) return fail(close_protocol_error);
    pos = 10;
  }
  const bool control = op >= 8;
  if (control && (!fin || len > 125)) return fail(close_protocol_error);
  if (len > max_payload) return fail(close_too_big);
  uint8_t mask[4] = {0, 0, 0, 0};
  if (masked) {
    if (size < pos + 4) return r;
    std::memcpy(mask, data + pos, 4);
    pos += 4;
  }
  if (size - pos < len) return r;
  char* payload = data + pos;
  if (masked)
    for (std::size_t i = 0; i < len; ++i)
      payload[i] = static_cast<char>(payload[i] ^ mask[i & 3]);
  r.status = ParseStatus::frame;
  r.frame.fin = fin;
  r.frame.opcode = static_cast<Opcode>(op);
  r.frame.payload = std::string_view(payload, static_cast<std::size_t>(len));
  r.consumed = pos + static_cast<std::size_t>(len);
  return r;
}

void append_header_impl(std::string& out, Opcode opcode, std::size_t n, bool fin, bool masked) {
  out += static_cast<char>((fin ? 0x80 : 0) | static_cast<uint8_t>(opcode));
  const uint8_t mask_bit = masked ? 0x80 : 0;
  if (n < 126) {
    out += static_cast<char>(mask_bit | n);
  } else if (n <= 0xFFFF) {
    out += static_cast<char>(mask_bit | 126);
    out += static_cast<char>((n >> 8) & 0xFF);
    out += static_cast<char>(n & 0xFF);
  } else {
    out += static_cast<char>(mask_bit | 127);
    for (int i = 7; i >= 0; --i)
      out += static_cast<char>((static_cast<uint64_t>(n) >> (8 * i)) & 0xFF);
  }
}

} // namespace

ParseResult parse_client_frame(char* data, std::size_t size, std::size_t max_payload) {
  return parse_frame(data, size, max_payload, true);
}

ParseResult parse_server_frame(char* data, std::size_t size, std::size_t max_payload) {
  return parse_frame(data, size, max_payload, false);
}

void append_header(std::string& out, Opcode opcode, std::size_t payload_size) {
  append_header_impl(out, opcode, payload_size, true, false);
}

std::string encode_frame(Opcode opcode, std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 10);
  append_header(out, opcode, payload.size());
  out += payload;
  return out;
}

std::string encode_client_frame(Opcode opcode, std::string_view payload, uint32_t mask, bool fin) {
  std::string out;
  out.reserve(payload.size() + 14);
  append_header_impl(out, opcode, payload.size(), fin, true);
  const uint8_t m[4] = {static_cast<uint8_t>(mask >> 24), static_cast<uint8_t>(mask >> 16),
                        static_cast<uint8_t>(mask >> 8), static_cast<uint8_t>(mask)};
  out.append(reinterpret_cast<const char*>(m), 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    out += static_cast<char>(payload[i] ^ m[i & 3]);
  return out;
}

std::string accept_key(std::string_view client_key) {
  static constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string input(client_key);
  input += kGuid;
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return core::base64_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

} // namespace herald::transport::ws
