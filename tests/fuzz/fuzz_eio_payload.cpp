// decode_payload / decode_packet on arbitrary text; whatever decodes must re-encode (through
// the same OutFrame path the server uses) to a payload that decodes to the same packets.
#include "engineio/packet.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace herald::engineio;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

SharedOutFrame frame_of(const Packet& p) {
  return p.binary ? make_binary_frame(p.data) : make_text_frame(p.type, p.data);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(input), size);

  for (bool allow_base64 : {false, true}) {
    if (auto p = decode_packet(text, allow_base64)) {
      check(allow_base64 || !p->binary);
      const auto f = frame_of(*p);
      if (!p->binary) check(f->payload() == text);
      std::string payload;
      append_to_payload(payload, *f);
      const auto again = decode_payload(payload);
      // A text packet whose data holds the separator is no single-packet payload.
      if (p->binary || p->data.find('\x1e') == std::string::npos) {
        check(again && again->size() == 1);
        check((*again)[0].type == p->type && (*again)[0].binary == p->binary && (*again)[0].data == p->data);
      }
    }
  }

  const auto packets = decode_payload(text);
  if (!packets) return 0;
  check(!packets->empty());
  std::string payload;
  for (const auto& p : *packets)
    append_to_payload(payload, *frame_of(p));
  const auto again = decode_payload(payload);
  check(again.has_value() && again->size() == packets->size());
  for (std::size_t i = 0; i < packets->size(); ++i) {
    const auto& a = (*packets)[i];
    const auto& b = (*again)[i];
    check(a.type == b.type && a.binary == b.binary && a.data == b.data);
  }
  return 0;
}
