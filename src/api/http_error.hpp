#pragma once
// The API's one error shape, {error: {code, message}}, and the store's errors mapped onto it.

#include "notify/result.hpp"
#include "transport/http_message.hpp"

#include <boost/json/value.hpp>

#include <string_view>

namespace herald::api {

transport::HttpResponse error_response(unsigned status, std::string_view code, std::string_view message);
// not_found 404, conflict 409, invalid 400, unavailable 503, io 500.
transport::HttpResponse store_error_response(const notify::StoreError& error);
transport::HttpResponse json_response(unsigned status, const boost::json::value& body);

} // namespace herald::api
