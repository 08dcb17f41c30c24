#pragma once
// Plain HTTP request and response values, so that layers above transport never see Beast.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::transport {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive ASCII comparison, as HTTP field names need.
bool iequals(std::string_view a, std::string_view b);

// The parameters of a query string, percent-decoded ('+' is a space, as browsers send
// forms). nullopt when the query is malformed.
std::optional<HeaderList> parse_query_params(std::string_view query);

struct HttpRequest {
  std::string method; // "GET", "POST", ...
  std::string target; // path and query as sent
  std::string path;   // percent-decoding left to the consumer
  std::string query;  // without '?'
  HeaderList headers;
  std::string body;
  std::string remote_address;
  bool keep_alive = true;

  // First value of the header, or empty when absent.
  std::string_view header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=UTF-8";
  std::string body;
  HeaderList headers;

  HttpResponse& with_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  static HttpResponse text(unsigned status, std::string body);
  static HttpResponse json(unsigned status, std::string body);
};

} // namespace herald::transport
