#include "socketio/packet.hpp"

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>

namespace herald::socketio {
namespace {

constexpr std::array<std::string_view, 6> kReserved = {"connect",       "connect_error", "disconnect",
                                                       "disconnecting", "newListener",   "removeListener"};

bool payload_valid(PacketType type, const boost::json::value& v, bool present) {
  switch (type) {
  case PacketType::connect:
    return !present || v.is_object();
  case PacketType::disconnect:
    return !present;
  case PacketType::connect_error:
    return present && (v.is_string() || v.is_object());
  case PacketType::event:
  case PacketType::binary_event:
    return present && event_name(v).has_value();
  case PacketType::ack:
  case PacketType::binary_ack:
    return present && v.is_array();
  }
  return false;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// 1e400 parses as infinity, which JSON cannot carry back out: refuse it at the door.
bool all_finite(const boost::json::value& v) {
  switch (v.kind()) {
  case boost::json::kind::double_:
    return std::isfinite(v.get_double());
  case boost::json::kind::array:
    for (const auto& e : v.get_array())
      if (!all_finite(e)) return false;
    return true;
  case boost::json::kind::object:
    for (const auto& kv : v.get_object())
      if (!all_finite(kv.value())) return false;
    return true;
  default:
    return true;
  }
}

} // namespace

std::optional<std::string> event_name(const boost::json::value& data) {
  if (!data.is_array() || data.as_array().empty()) return std::nullopt;
  const auto& first = data.as_array().front();
  if (first.is_string()) {
    const std::string_view name = first.as_string();
    for (auto r : kReserved)
      if (name == r) return std::nullopt;
    return std::string(name);
  }
  if (first.is_int64()) return std::to_string(first.as_int64());
  if (first.is_uint64()) return std::to_string(first.as_uint64());
  return std::nullopt;
}

std::optional<Packet> decode(std::string_view s, std::size_t max_attachments) {
  if (s.empty() || s[0] < '0' || s[0] > '6') return std::nullopt;
  Packet p;
  p.type = static_cast<PacketType>(s[0] - '0');
  std::size_t i = 1;
  if (p.type == PacketType::binary_event || p.type == PacketType::binary_ack) {
    const auto dash = s.find('-', i);
    if (dash == std::string_view::npos || dash == i || dash - i > 6) return std::nullopt;
    std::size_t n = 0;
    for (; i < dash; ++i) {
      if (!is_digit(s[i])) return std::nullopt;
      n = n * 10 + static_cast<std::size_t>(s[i] - '0');
    }
    if (n > max_attachments) return std::nullopt;
    p.attachments = n;
    i = dash + 1;
  }
  if (i < s.size() && s[i] == '/') {
    const auto comma = s.find(',', i);
    const auto end = comma == std::string_view::npos ? s.size() : comma;
    p.nsp = std::string(s.substr(i, end - i));
    i = comma == std::string_view::npos ? s.size() : comma + 1;
  }
  if (i < s.size() && is_digit(s[i])) {
    uint64_t id = 0;
    std::size_t digits = 0;
    for (; i < s.size() && is_digit(s[i]); ++i, ++digits) {
      if (digits >= 18) return std::nullopt; // beyond any client's counter
      id = id * 10 + static_cast<uint64_t>(s[i] - '0');
    }
    p.id = id;
  }
  const bool present = i < s.size();
  if (present) {
    boost::system::error_code ec;
    p.data = boost::json::parse(s.substr(i), ec);
    if (ec || !all_finite(p.data)) return std::nullopt;
  }
  if (!payload_valid(p.type, p.data, present)) return std::nullopt;
  if (p.id && p.type != PacketType::event && p.type != PacketType::binary_event &&
      p.type != PacketType::ack && p.type != PacketType::binary_ack)
    return std::nullopt;
  return p;
}

std::string encode(const Packet& p) {
  PacketType type = p.type;
  if (!p.buffers.empty() && type == PacketType::event) type = PacketType::binary_event;
  if (!p.buffers.empty() && type == PacketType::ack) type = PacketType::binary_ack;
  std::string out;
  out += static_cast<char>('0' + static_cast<int>(type));
  if (type == PacketType::binary_event || type == PacketType::binary_ack) {
    out += std::to_string(p.buffers.size());
    out += '-';
  }
  if (p.nsp != "/") {
    out += p.nsp;
    out += ',';
  }
  if (p.id) out += std::to_string(*p.id);
  if (!p.data.is_null()) out += boost::json::serialize(p.data);
  return out;
}

boost::json::value placeholder(std::size_t num) {
  return boost::json::object{{"_placeholder", true}, {"num", num}};
}

std::optional<std::size_t> placeholder_index(const boost::json::value& v) {
  const auto* o = v.if_object();
  if (!o || o->size() != 2) return std::nullopt;
  const auto* flag = o->if_contains("_placeholder");
  const auto* num = o->if_contains("num");
  if (!flag || !flag->is_bool() || !flag->as_bool() || !num) return std::nullopt;
  if (num->is_int64() && num->as_int64() >= 0) return static_cast<std::size_t>(num->as_int64());
  if (num->is_uint64()) return static_cast<std::size_t>(num->as_uint64());
  return std::nullopt;
}

} // namespace herald::socketio
