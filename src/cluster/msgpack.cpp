#include "cluster/msgpack.hpp"

#include "socketio/packet.hpp"

#include <boost/json.hpp>

#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>

namespace herald::cluster::msgpack {

namespace json = boost::json;

namespace {

// --- decoding

class Reader {
public:
  Reader(std::string_view bytes, std::size_t max_depth) : in_(bytes), max_depth_(max_depth) {}

  bool read_value(json::value& out, std::vector<std::string>& binaries, std::size_t depth) {
    if (depth > max_depth_) return false;
    uint8_t tag;
    if (!byte(tag)) return false;
    if (tag <= 0x7f) return out = int64_t{tag}, true;
    if (tag >= 0xe0) return out = int64_t{static_cast<int8_t>(tag)}, true;
    if ((tag & 0xf0) == 0x80) return read_map(tag & 0x0f, out, binaries, depth);
    if ((tag & 0xf0) == 0x90) return read_array(tag & 0x0f, out, binaries, depth);
    if ((tag & 0xe0) == 0xa0) return read_string(tag & 0x1f, out);
    switch (tag) {
    case 0xc0:
      return out = nullptr, true;
    case 0xc2:
      return out = false, true;
    case 0xc3:
      return out = true, true;
    case 0xc4:
      return sized<uint8_t>([&](uint64_t n) { return read_binary(n, out, binaries); });
    case 0xc5:
      return sized<uint16_t>([&](uint64_t n) { return read_binary(n, out, binaries); });
    case 0xc6:
      return sized<uint32_t>([&](uint64_t n) { return read_binary(n, out, binaries); });
    case 0xc7:
      return sized<uint8_t>([&](uint64_t n) { return skip_extension(n, out); });
    case 0xc8:
      return sized<uint16_t>([&](uint64_t n) { return skip_extension(n, out); });
    case 0xc9:
      return sized<uint32_t>([&](uint64_t n) { return skip_extension(n, out); });
    case 0xca: {
      uint32_t bits;
      if (!big_endian(bits)) return false;
      out = static_cast<double>(std::bit_cast<float>(bits));
      return true;
    }
    case 0xcb: {
      uint64_t bits;
      if (!big_endian(bits)) return false;
      out = std::bit_cast<double>(bits);
      return true;
    }
    case 0xcc:
      return unsigned_int<uint8_t>(out);
    case 0xcd:
      return unsigned_int<uint16_t>(out);
    case 0xce:
      return unsigned_int<uint32_t>(out);
    case 0xcf:
      return unsigned_int<uint64_t>(out);
    case 0xd0:
      return signed_int<uint8_t, int8_t>(out);
    case 0xd1:
      return signed_int<uint16_t, int16_t>(out);
    case 0xd2:
      return signed_int<uint32_t, int32_t>(out);
    case 0xd3:
      return signed_int<uint64_t, int64_t>(out);
    case 0xd4:
      return skip_extension(1, out);
    case 0xd5:
      return skip_extension(2, out);
    case 0xd6:
      return skip_extension(4, out);
    case 0xd7:
      return skip_extension(8, out);
    case 0xd8:
      return skip_extension(16, out);
    case 0xd9:
      return sized<uint8_t>([&](uint64_t n) { return read_string(n, out); });
    case 0xda:
      return sized<uint16_t>([&](uint64_t n) { return read_string(n, out); });
    case 0xdb:
      return sized<uint32_t>([&](uint64_t n) { return read_string(n, out); });
    case 0xdc:
      return sized<uint16_t>([&](uint64_t n) { return read_array(n, out, binaries, depth); });
    case 0xdd:
      return sized<uint32_t>([&](uint64_t n) { return read_array(n, out, binaries, depth); });
    case 0xde:
      return sized<uint16_t>([&](uint64_t n) { return read_map(n, out, binaries, depth); });
    case 0xdf:
      return sized<uint32_t>([&](uint64_t n) { return read_map(n, out, binaries, depth); });
    default:
      return false; // 0xc1 is never used
    }
  }

  bool at_end() const { return pos_ == in_.size(); }

private:
  bool byte(uint8_t& b) {
    if (pos_ >= in_.size()) return false;
    b = static_cast<uint8_t>(in_[pos_++]);
    return true;
  }
  template <class U> bool big_endian(U& v) {
    if (in_.size() - pos_ < sizeof(U)) return false;
    v = 0;
    for (std::size_t i = 0; i < sizeof(U); ++i)
      v = static_cast<U>((v << 8) | static_cast<uint8_t>(in_[pos_++]));
    return true;
  }
  template <class U, class Fn> bool sized(Fn&& fn) {
    U n;
    return big_endian(n) && fn(uint64_t{n});
  }
  template <class U> bool unsigned_int(json::value& out) {
    U v;
    if (!big_endian(v)) return false;
    if constexpr (sizeof(U) == 8) {
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return out = uint64_t{v}, true;
    }
    out = static_cast<int64_t>(v);
    return true;
  }
  template <class U, class S> bool signed_int(json::value& out) {
    U v;
    if (!big_endian(v)) return false;
    out = int64_t{static_cast<S>(v)};
    return true;
  }
  bool take(uint64_t n, std::string_view& bytes) {
    if (n > in_.size() - pos_) return false;
    bytes = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool read_string(uint64_t n, json::value& out) {
    std::string_view s;
    if (!take(n, s)) return false;
    out = json::string(s);
    return true;
  }
  bool read_binary(uint64_t n, json::value& out, std::vector<std::string>& binaries) {
    std::string_view s;
    if (!take(n, s)) return false;
    out = socketio::placeholder(binaries.size());
    binaries.emplace_back(s);
    return true;
  }
  // Extension values carry nothing JSON can hold (notepack writes undefined as one).
  bool skip_extension(uint64_t n, json::value& out) {
    std::string_view ignored;
    uint8_t type;
    if (!byte(type) || !take(n, ignored)) return false;
    out = nullptr;
    extension_ = true;
    return true;
  }
  bool read_array(uint64_t n, json::value& out, std::vector<std::string>& binaries, std::size_t depth) {
    if (n > in_.size() - pos_) return false; // each element takes a byte at least
    json::array a;
    a.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      json::value v;
      if (!read_value(v, binaries, depth + 1)) return false;
      extension_ = false;
      a.push_back(std::move(v));
    }
    out = std::move(a);
    return true;
  }
  bool read_map(uint64_t n, json::value& out, std::vector<std::string>& binaries, std::size_t depth) {
    if (n > (in_.size() - pos_) / 2) return false; // each entry takes two bytes at least
    json::object o;
    o.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      json::value key;
      if (!read_value(key, binaries, depth + 1)) return false;
      std::string name;
      if (key.is_string())
        name = key.as_string();
      else if (key.is_int64())
        name = std::to_string(key.as_int64());
      else if (key.is_uint64())
        name = std::to_string(key.as_uint64());
      else
        return false;
      extension_ = false;
      json::value v;
      if (!read_value(v, binaries, depth + 1)) return false;
      // An undefined property is no property, as in JSON.stringify.
      if (!extension_) o[name] = std::move(v);
      extension_ = false;
    }
    out = std::move(o);
    return true;
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  std::size_t max_depth_;
  bool extension_ = false; // the value just read was an extension
};

// --- encoding

void put_big_endian(std::string& out, uint64_t v, std::size_t size) {
  for (std::size_t i = size; i-- > 0;)
    out += static_cast<char>((v >> (8 * i)) & 0xff);
}

void put_uint(std::string& out, uint64_t v) {
  if (v <= 0x7f) return out += static_cast<char>(v), void();
  if (v <= 0xff) return out += '\xcc', put_big_endian(out, v, 1);
  if (v <= 0xffff) return out += '\xcd', put_big_endian(out, v, 2);
  if (v <= 0xffffffff) return out += '\xce', put_big_endian(out, v, 4);
  out += '\xcf';
  put_big_endian(out, v, 8);
}

void put_int(std::string& out, int64_t v) {
  if (v >= 0) return put_uint(out, static_cast<uint64_t>(v));
  const auto bits = static_cast<uint64_t>(v);
  if (v >= -32) return out += static_cast<char>(bits & 0xff), void();
  if (v >= std::numeric_limits<int8_t>::min()) return out += '\xd0', put_big_endian(out, bits, 1);
  if (v >= std::numeric_limits<int16_t>::min()) return out += '\xd1', put_big_endian(out, bits, 2);
  if (v >= std::numeric_limits<int32_t>::min()) return out += '\xd2', put_big_endian(out, bits, 4);
  out += '\xd3';
  put_big_endian(out, bits, 8);
}

// A header for `n` items: the fix form under `fix_limit`, else 16 or 32 bits.
void put_header(std::string& out, std::size_t n, uint8_t fix, std::size_t fix_limit, char tag8, char tag16,
                char tag32) {
  if (n < fix_limit) return out += static_cast<char>(fix | n), void();
  if (tag8 != 0 && n <= 0xff) return out += tag8, put_big_endian(out, n, 1);
  if (n <= 0xffff) return out += tag16, put_big_endian(out, n, 2);
  out += tag32;
  put_big_endian(out, n, 4);
}

void put_string(std::string& out, std::string_view s) {
  put_header(out, s.size(), 0xa0, 32, '\xd9', '\xda', '\xdb');
  out += s;
}

void put_value(std::string& out, const json::value& v, const std::vector<std::string>& binaries) {
  switch (v.kind()) {
  case json::kind::null:
    out += '\xc0';
    break;
  case json::kind::bool_:
    out += v.get_bool() ? '\xc3' : '\xc2';
    break;
  case json::kind::int64:
    put_int(out, v.get_int64());
    break;
  case json::kind::uint64:
    put_uint(out, v.get_uint64());
    break;
  case json::kind::double_:
    out += '\xcb';
    put_big_endian(out, std::bit_cast<uint64_t>(v.get_double()), 8);
    break;
  case json::kind::string:
    put_string(out, v.get_string());
    break;
  case json::kind::array:
    put_header(out, v.get_array().size(), 0x90, 16, 0, '\xdc', '\xdd');
    for (const auto& item : v.get_array())
      put_value(out, item, binaries);
    break;
  case json::kind::object: {
    if (auto i = socketio::placeholder_index(v); i && *i < binaries.size()) {
      const auto& b = binaries[*i];
      put_header(out, b.size(), 0, 0, '\xc4', '\xc5', '\xc6');
      out += b;
      break;
    }
    put_header(out, v.get_object().size(), 0x80, 16, 0, '\xde', '\xdf');
    for (const auto& [key, item] : v.get_object()) {
      put_string(out, key);
      put_value(out, item, binaries);
    }
    break;
  }
  }
}

} // namespace

std::optional<Decoded> decode(std::string_view bytes, std::size_t max_depth) {
  Reader reader(bytes, max_depth);
  Decoded d;
  if (!reader.read_value(d.json, d.binaries, 0) || !reader.at_end()) return std::nullopt;
  return d;
}

std::string encode(const json::value& json, const std::vector<std::string>& binaries) {
  std::string out;
  put_value(out, json, binaries);
  return out;
}

} // namespace herald::cluster::msgpack
