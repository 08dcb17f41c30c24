#include "api/http_error.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace herald::api {

transport::HttpResponse json_response(unsigned status, const boost::json::value& body) {
  return transport::HttpResponse::json(status, boost::json::serialize(body));
}

transport::HttpResponse error_response(unsigned status, std::string_view code, std::string_view message) {
  return json_response(
      status, boost::json::object{{"error", boost::json::object{{"code", code}, {"message", message}}}});
}

transport::HttpResponse store_error_response(const notify::StoreError& error) {
  using notify::StoreErrc;
  switch (error.code) {
  case StoreErrc::not_found:
    return error_response(404, "NOT_FOUND", "not found");
  case StoreErrc::conflict:
    return error_response(409, "CONFLICT", error.message.empty() ? "already exists" : error.message);
  case StoreErrc::invalid:
    return error_response(400, "INVALID_PAYLOAD", error.message);
  case StoreErrc::unavailable:
    return error_response(503, "UNAVAILABLE", "the store cannot accept this now; retry later");
  case StoreErrc::io:
    break;
  }
  return error_response(500, "SERVER_ERROR", "the store failed");
}

} // namespace herald::api
