// Arbitrary bytes as the JSON body of the HTTP API. The route handlers read their bodies
// inline (and need a store and a connection to answer), so this drives what they call:
// parse_object, then the field readers of json_body.hpp over the fields each route reads
// (POST /notifications with its targets, PUT /users/{id}, POST /notification-types) and over
// every member of the body, and the content validation and rendering of POST /notifications.
// Every input gets a value or a clear error: parse_object's reason or a BodyError naming the
// field; no other exception, no crash. A reader's value agrees with the JSON it read.
#include "api/json_body.hpp"
#include "notify/markdown.hpp"

#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

using namespace herald;
using namespace herald::api;
namespace json = boost::json;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// Runs one reader; a refusal must be a BodyError that names the field.
template <class Read> auto read(std::string_view key, Read&& reader) -> decltype(reader()) {
  try {
    return reader();
  } catch (const BodyError& e) {
    check(e.message.starts_with(key));
    return std::nullopt;
  }
}

bool absent(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return !v || v->is_null();
}

// Every reader on one member, and what each must answer.
void read_member(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  const auto s = read(key, [&] { return string_field(o, key); });
  if (absent(o, key)) {
    check(!s);
  } else {
    check(s.has_value() == v->is_string());
    if (s) check(*s == v->get_string());
  }
  const auto b = read(key, [&] { return bool_field(o, key); });
  if (b) check(v->is_bool() && *b == v->get_bool());
  const auto id = read(key, [&] { return id_field(o, key); });
  if (id) check(!id->empty());
  const auto ids = read(key, [&] { return id_list_field(o, key); });
  if (ids) {
    check(v->is_array() && ids->size() == v->get_array().size());
    for (const auto& one : *ids)
      check(!one.empty());
  }
}

// POST /notifications: the fields and the content rendering, in the handler's order.
void create_notification(const json::object& body) {
  const auto title = read("title", [&] { return string_field(body, "title"); });
  const auto content = read("content", [&] { return string_field(body, "content"); });
  const auto format_name = read("content_format", [&] { return string_field(body, "content_format"); });
  if (const auto format = notify::parse_content_format(format_name.value_or("markdown")); format && content) {
    (void)notify::render_content_html(*content, *format);
  }
  (void)title;
  (void)read("type", [&] { return id_field(body, "type"); });
  (void)read("sender_id", [&] { return id_field(body, "sender_id"); });
  (void)read("idempotency_key", [&] { return string_field(body, "idempotency_key"); });
  if (const auto* targets = body.if_contains("targets"); targets && targets->is_object()) {
    const auto& t = targets->as_object();
    (void)read("users", [&] { return id_list_field(t, "users"); });
    (void)read("departments", [&] { return id_list_field(t, "departments"); });
    (void)read("broadcast", [&] { return bool_field(t, "broadcast"); });
    for (const auto& member : t)
      read_member(t, member.key());
  }
}

// PUT /users/{id}.
void put_user(const json::object& body) {
  (void)read("username", [&] { return string_field(body, "username"); });
  (void)read("display_name", [&] { return string_field(body, "display_name"); });
  (void)read("departments", [&] { return id_list_field(body, "departments"); });
}

// POST /notification-types.
void create_type(const json::object& body) {
  (void)read("name", [&] { return string_field(body, "name"); });
  (void)read("id", [&] { return id_field(body, "id"); });
  (void)read("icon", [&] { return string_field(body, "icon"); });
  (void)read("color", [&] { return string_field(body, "color"); });
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(input), size);
  auto parsed = parse_object(bytes);
  if (const auto* error = std::get_if<std::string>(&parsed)) {
    check(!error->empty());
    return 0;
  }
  const auto& body = std::get<json::object>(parsed);
  create_notification(body);
  put_user(body);
  create_type(body);
  for (const auto& member : body)
    read_member(body, member.key());
  return 0;
}
