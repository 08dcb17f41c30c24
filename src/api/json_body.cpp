#include "api/json_body.hpp"

#include <boost/json/parse.hpp>

namespace herald::api {
namespace json = boost::json;

std::variant<json::object, std::string> parse_object(std::string_view body) {
  if (body.empty()) return std::string("the body must be a JSON object");
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return std::string("the body is not valid JSON: ") + ec.message();
  if (!v.is_object()) return std::string("the body must be a JSON object");
  return std::move(v.as_object());
}

std::optional<std::string> string_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string()) throw BodyError{std::string(key) + " must be a string"};
  return std::string(v->as_string());
}

static std::optional<std::string> id_of(const json::value& v) {
  if (v.is_string() && !v.as_string().empty()) return std::string(v.as_string());
  if (v.is_int64() && v.as_int64() >= 0) return std::to_string(v.as_int64());
  if (v.is_uint64()) return std::to_string(v.as_uint64());
  return std::nullopt;
}

std::optional<std::string> id_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  auto id = id_of(*v);
  if (!id) throw BodyError{std::string(key) + " must be a non-empty string"};
  return id;
}

std::optional<std::vector<std::string>> id_list_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_array()) throw BodyError{std::string(key) + " must be an array of ids"};
  std::vector<std::string> out;
  out.reserve(v->as_array().size());
  for (const auto& e : v->as_array()) {
    auto id = id_of(e);
    if (!id) throw BodyError{std::string(key) + " must be an array of non-empty strings"};
    out.push_back(std::move(*id));
  }
  return out;
}

std::optional<bool> bool_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_bool()) throw BodyError{std::string(key) + " must be true or false"};
  return v->as_bool();
}

} // namespace herald::api
