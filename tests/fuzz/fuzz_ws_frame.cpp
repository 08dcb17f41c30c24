// parse_client_frame on arbitrary bytes: one frame, then a stream of consecutive frames,
// checking the parser's invariants and that a parsed frame re-encodes to the same frame.
#include "transport/ws_frame.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace herald::transport::ws;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

constexpr std::size_t kMaxPayload = 1024;

void check_result(const ParseResult& r, const char* data, std::size_t size) {
  switch (r.status) {
  case ParseStatus::need_more:
    check(r.consumed == 0);
    break;
  case ParseStatus::error:
    check(r.close_code == close_protocol_error || r.close_code == close_too_big);
    break;
  case ParseStatus::frame: {
    check(r.consumed >= 2 && r.consumed <= size);
    check(r.frame.payload.size() <= kMaxPayload);
    check(r.frame.payload.data() >= data);
    check(r.frame.payload.data() + r.frame.payload.size() == data + r.consumed);
    const auto op = static_cast<uint8_t>(r.frame.opcode);
    check(op <= 2 || (op >= 8 && op <= 10));
    if (op >= 8) check(r.frame.fin && r.frame.payload.size() <= 125);
    // A frame re-encoded with any mask parses back to the same frame.
    std::string again = encode_client_frame(r.frame.opcode, r.frame.payload, 0x12345678, r.frame.fin);
    const auto r2 = parse_client_frame(again.data(), again.size(), kMaxPayload);
    check(r2.status == ParseStatus::frame && r2.consumed == again.size());
    check(r2.frame.fin == r.frame.fin && r2.frame.opcode == r.frame.opcode);
    check(r2.frame.payload == r.frame.payload);
    break;
  }
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, std::size_t size) {
  // The parser unmasks in place: give it a mutable copy, exactly as large as the input so
  // that ASan sees any read past the end.
  std::vector<char> buf(input, input + size);
  const auto one = parse_client_frame(buf.data(), buf.size(), kMaxPayload);
  check_result(one, buf.data(), buf.size());
  // An empty input has no buffer at all: memcmp must not see its null pointer.
  if (one.status == ParseStatus::need_more && size > 0) check(std::memcmp(buf.data(), input, size) == 0);

  // The same bytes as a stream of frames, as the WebSocket read loop consumes them.
  std::vector<char> stream(input, input + size);
  std::size_t offset = 0;
  while (offset < stream.size()) {
    const auto r = parse_client_frame(stream.data() + offset, stream.size() - offset, kMaxPayload);
    check_result(r, stream.data() + offset, stream.size() - offset);
    if (r.status != ParseStatus::frame) break;
    offset += r.consumed;
  }
  check(offset <= stream.size());

  // And as a server frame (the load generator's side).
  std::vector<char> server(input, input + size);
  const auto s = parse_server_frame(server.data(), server.size(), kMaxPayload);
  if (s.status == ParseStatus::frame) check(s.consumed <= size);
  return 0;
}
