// The directory (/api/v1/users/{id}) and the notification types (/api/v1/notification-types).

#include "api/api.hpp"
#include "api/http_error.hpp"
#include "api/json_body.hpp"
#include "core/ids.hpp"
#include "notify/payloads.hpp"

#include <boost/json/array.hpp>

namespace herald::api {
namespace json = boost::json;

namespace {

// "Build Failed!" -> "build-failed": a readable id for a type created without one.
std::string slug(std::string_view name) {
  std::string out;
  for (char c : name) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out += c;
    } else if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-')
    out.pop_back();
  return out.size() > 64 ? out.substr(0, 64) : out;
}

} // namespace

void Api::put_user(transport::HttpRequest& req, const Caller&, std::vector<std::string>& params,
                   transport::Responder res) {
  auto parsed = parse_object(req.body);
  if (auto* err = std::get_if<std::string>(&parsed))
    return res.send(error_response(400, "INVALID_PAYLOAD", *err));
  const auto& body = std::get<json::object>(parsed);
  notify::UserUpdate update;
  update.id = params.at(0);
  try {
    update.username = string_field(body, "username");
    update.display_name = string_field(body, "display_name");
    update.departments = id_list_field(body, "departments");
  } catch (const BodyError& e) {
    return res.send(error_response(400, "INVALID_PAYLOAD", e.message));
  }
  service_.repository().upsert_user(
      std::move(update), [res = share(std::move(res))](notify::Result<notify::UpsertUserResult> r) {
        if (!r) return res->send(store_error_response(r.error()));
        res->send(json_response(r->created ? 201 : 200, notify::user_json(r->user)));
      });
}

void Api::get_user(transport::HttpRequest&, const Caller&, std::vector<std::string>& params,
                   transport::Responder res) {
  service_.repository().get_user(params.at(0), [res = share(std::move(res))](notify::Result<notify::User> u) {
    if (!u) return res->send(store_error_response(u.error()));
    res->send(json_response(200, notify::user_json(*u)));
  });
}

void Api::list_types(transport::HttpRequest&, const Caller&, std::vector<std::string>&,
                     transport::Responder res) {
  service_.repository().list_types(
      [res = share(std::move(res))](notify::Result<std::vector<notify::NotificationType>> types) {
        if (!types) return res->send(store_error_response(types.error()));
        json::array out;
        for (const auto& t : *types)
          out.push_back(notify::type_json(t));
        res->send(json_response(200, out));
      });
}

void Api::create_type(transport::HttpRequest& req, const Caller&, std::vector<std::string>&,
                      transport::Responder res) {
  auto parsed = parse_object(req.body);
  if (auto* err = std::get_if<std::string>(&parsed))
    return res.send(error_response(400, "INVALID_PAYLOAD", *err));
  const auto& body = std::get<json::object>(parsed);
  notify::NotificationType type;
  bool id_given = false;
  try {
    auto name = string_field(body, "name");
    if (!name || name->empty()) throw BodyError{"name is required"};
    type.name = std::move(*name);
    auto id = id_field(body, "id");
    id_given = id.has_value();
    type.id = id ? std::move(*id) : slug(type.name);
    if (type.id.empty()) type.id = core::random_token(9);
    type.icon = string_field(body, "icon").value_or("");
    type.color = string_field(body, "color").value_or("");
  } catch (const BodyError& e) {
    return res.send(error_response(400, "INVALID_PAYLOAD", e.message));
  }
  store_type(std::move(type), id_given, share(std::move(res)));
}

void Api::store_type(notify::NotificationType type, bool id_given,
                     std::shared_ptr<transport::Responder> res) {
  // 409 is for an id the caller gave (SPEC section 4). An id made from the name that is
  // taken (a type named "Info" beside the built-in info) gets a random suffix instead.
  auto retry = id_given ? std::optional<notify::NotificationType>() : std::optional(type);
  service_.repository().create_type(std::move(type), [this, res, retry = std::move(retry)](
                                                         notify::Result<notify::NotificationType> t) mutable {
    if (!t && t.error().code == notify::StoreErrc::conflict && retry) {
      auto again = std::move(*retry);
      again.id = again.id.substr(0, 50) + "-" + core::random_token(6);
      return store_type(std::move(again), true, std::move(res));
    }
    if (!t) return res->send(store_error_response(t.error()));
    res->send(json_response(201, notify::type_json(*t)));
  });
}

} // namespace herald::api
