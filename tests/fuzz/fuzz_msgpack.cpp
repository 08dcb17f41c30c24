// decode -> encode -> decode on arbitrary bytes, as other nodes may publish them: nothing
// crashes, anything accepted encodes to bytes that decode again, and from there on the
// round trip is stable. (The first trip may change a value's form: float32 widens, an
// undefined property goes, a map shaped like a placeholder becomes a binary.)
#include "cluster/msgpack.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace herald::cluster;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// JSON equality where NaN equals NaN.
bool same(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() && b.is_double())
    return a.get_double() == b.get_double() || (std::isnan(a.get_double()) && std::isnan(b.get_double()));
  if (a.kind() != b.kind()) return false;
  if (const auto* x = a.if_array()) {
    const auto& y = b.get_array();
    if (x->size() != y.size()) return false;
    for (std::size_t i = 0; i < x->size(); ++i)
      if (!same((*x)[i], y[i])) return false;
    return true;
  }
  if (const auto* x = a.if_object()) {
    const auto& y = b.get_object();
    if (x->size() != y.size()) return false;
    for (const auto& kv : *x) {
      const auto* other = y.if_contains(kv.key());
      if (!other || !same(kv.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(input), size);
  const auto first = msgpack::decode(bytes);
  if (!first) return 0;
  const auto second = msgpack::decode(msgpack::encode(first->json, first->binaries));
  check(second.has_value());
  const auto third = msgpack::decode(msgpack::encode(second->json, second->binaries));
  check(third.has_value());
  check(same(second->json, third->json));
  check(second->binaries == third->binaries);
  return 0;
}
