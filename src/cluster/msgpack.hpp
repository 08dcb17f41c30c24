#pragma once
// MessagePack as the Socket.IO Redis adapter and emitter write it (notepack.io), to and
// from JSON values. Binary strings (Node Buffers) stand in the JSON as Socket.IO
// placeholders, {"_placeholder":true,"num":i}, their bytes kept aside: exactly the shape of
// a packet with attachments. Decoding trusts no length and bounds the nesting depth.

#include <boost/json/value.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::cluster::msgpack {

struct Decoded {
  boost::json::value json;
  std::vector<std::string> binaries; // placeholder i stands for binaries[i]
};

// nullopt for anything malformed, truncated, followed by extra bytes, or nested deeper than
// `max_depth`. Extension values (notepack's undefined) read as null, or drop their key in
// a map; map keys that are numbers become strings.
std::optional<Decoded> decode(std::string_view bytes, std::size_t max_depth = 32);

// `json` with placeholder i written as binaries[i] (placeholders beyond `binaries` stay
// objects). Integers take the smallest encoding, as notepack's do.
std::string encode(const boost::json::value& json, const std::vector<std::string>& binaries = {});

} // namespace herald::cluster::msgpack
