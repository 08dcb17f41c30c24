// decode -> encode -> decode on arbitrary text: anything the decoder accepts must encode to
// text the decoder accepts again, as the same packet.
#include "socketio/packet.hpp"

#include <boost/json/value.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace herald::socketio;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

constexpr std::size_t kMaxAttachments = 10;

// A number beyond double range (3[1e400]) would decode to infinity and encode as
// "Infinity", which is not JSON: decode must refuse it (found by this target).
bool has_non_finite(const boost::json::value& v) {
  if (v.is_double()) return !std::isfinite(v.get_double());
  if (const auto* a = v.if_array()) {
    for (const auto& e : *a)
      if (has_non_finite(e)) return true;
  }
  if (const auto* o = v.if_object()) {
    for (const auto& kv : *o)
      if (has_non_finite(kv.value())) return true;
  }
  return false;
}

// JSON equality, except that doubles may differ in the last bits: Boost.JSON 1.81 does not
// round every long number correctly, so 7777...70 (84 digits) parses to 7.777777777777777E83,
// which serializes and parses back as 7.777777777777776E83. Not a Herald bug.
bool same_json(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() && b.is_double()) {
    const double x = a.get_double(), y = b.get_double();
    return x == y || std::fabs(x - y) <= 1e-14 * std::fmax(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return a == b; // int64 vs uint64 compare by value
  if (const auto* x = a.if_array()) {
    const auto& y = b.get_array();
    if (x->size() != y.size()) return false;
    for (std::size_t i = 0; i < x->size(); ++i)
      if (!same_json((*x)[i], y[i])) return false;
    return true;
  }
  if (const auto* x = a.if_object()) {
    const auto& y = b.get_object();
    if (x->size() != y.size()) return false;
    for (const auto& kv : *x) {
      const auto* other = y.if_contains(kv.key());
      if (!other || !same_json(kv.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(input), size);
  auto first = decode(text, kMaxAttachments);
  if (!first) return 0;
  check(!has_non_finite(first->data));
  check(first->attachments <= kMaxAttachments);
  check(!first->nsp.empty() && first->nsp.front() == '/');
  if (first->type == PacketType::event || first->type == PacketType::binary_event)
    check(event_name(first->data).has_value());
  // The buffers follow the text on the wire; encode counts the ones it has.
  first->buffers.assign(first->attachments, "x");
  const std::string encoded = encode(*first);
  const auto second = decode(encoded, kMaxAttachments);
  check(second.has_value());
  check(second->type == first->type);
  check(second->nsp == first->nsp);
  check(second->id == first->id);
  check(same_json(second->data, first->data));
  check(second->attachments == first->attachments);
  // Once more: the encoding is stable (up to the double rounding above).
  auto again = *second;
  again.buffers.assign(again.attachments, "x");
  const auto third = decode(encode(again), kMaxAttachments);
  check(third.has_value() && third->type == first->type && third->nsp == first->nsp &&
        third->id == first->id);
  check(same_json(third->data, first->data) && third->attachments == first->attachments);
  return 0;
}
