#include "transport/http_message.hpp"

#include <boost/url/parse_query.hpp>

#include <string>

namespace herald::transport {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::optional<HeaderList> parse_query_params(std::string_view query) {
  // Boost.URL 1.81's parse_query rebuilds its view from the pointer alone (strlen; see
  // boostorg/url#757 and #946): it reads on past a view that is not NUL-terminated where it
  // ends. A copy ends where the query does (a raw NUL inside fails the grammar first).
  const std::string terminated(query);
  auto params = boost::urls::parse_query(terminated);
  if (!params) return std::nullopt;
  boost::urls::encoding_opts opts;
  opts.space_as_plus = true;
  HeaderList out;
  for (auto p : *params)
    out.emplace_back(p.key.decode(opts), p.has_value ? p.value.decode(opts) : std::string());
  return out;
}

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

bool HttpRequest::has_header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return true;
  return false;
}

HttpResponse HttpResponse::text(unsigned status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::json(unsigned status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

} // namespace herald::transport
