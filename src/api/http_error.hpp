#pragma once
// The API's one error shape, {error: {code, message}}, and the store's errors mapped onto it.

#include "notify/result.hpp"
#include "transport/http_message.hpp"
#include "transport/http_server.hpp"

#include <boost/json/value.hpp>
#include <memory>

#include <string_view>

namespace herald::api {

transport::HttpResponse error_response(unsigned status, std::string_view code, std::string_view message);
// not_found 404, conflict 409, invalid 400, unavailable 503, io 500.
transport::HttpResponse store_error_response(const notify::StoreError& error);
transport::HttpResponse json_response(unsigned status, const boost::json::value& body);

// Store callbacks are std::function, which must be copyable: they hold the move-only
// Responder through a shared_ptr.
inline std::shared_ptr<transport::Responder> share(transport::Responder res) {
  return std::make_shared<transport::Responder>(std::move(res));
}

} // namespace herald::api
