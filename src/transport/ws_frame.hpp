#pragma once
// RFC 6455 framing as pure functions: bytes in, frames out, no sockets. Herald frames
// WebSocket messages itself (rather than through beast::websocket::stream) because an idle
// connection must cost well under 1 KB: no per-connection read buffer, no pending
// coroutine, and a broadcast frame encoded once and shared by every recipient.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace herald::transport::ws {

enum class Opcode : uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

// Close codes used by the server.
enum CloseCode : uint16_t {
  close_normal = 1000,
  close_going_away = 1001,
  close_protocol_error = 1002,
  close_too_big = 1009,
  close_internal_error = 1011,
};

struct Frame {
  bool fin = true;
  Opcode opcode = Opcode::text;
  std::string_view payload; // unmasked, points into the parsed buffer
};

enum class ParseStatus { frame, need_more, error };

struct ParseResult {
  ParseStatus status = ParseStatus::need_more;
  Frame frame;
  std::size_t consumed = 0;           // bytes of the buffer the frame used
  uint16_t close_code = close_normal; // why, when status is error
};

// Parses one client frame at the start of `data`, unmasking its payload in place.
// Client frames must be masked; a payload above `max_payload` is an error (1009).
ParseResult parse_client_frame(char* data, std::size_t size, std::size_t max_payload);

// Appends a server (unmasked) frame header for a final frame of `payload_size` bytes.
void append_header(std::string& out, Opcode opcode, std::size_t payload_size);
// A whole unmasked final frame.
std::string encode_frame(Opcode opcode, std::string_view payload);
// A masked frame, as a client sends it (for tests and the load generator).
std::string encode_client_frame(Opcode opcode, std::string_view payload, uint32_t mask, bool fin = true);
// Parses one server (unmasked) frame; for tests and the load generator.
ParseResult parse_server_frame(char* data, std::size_t size, std::size_t max_payload);

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key.
std::string accept_key(std::string_view client_key);

} // namespace herald::transport::ws
