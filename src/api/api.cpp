#include "api/api.hpp"

#include "api/http_error.hpp"
#include "auth/token_source.hpp"

#include <openssl/crypto.h>

namespace herald::api {

Api::Api(notify::Service& service, const auth::Verifier& verifier, const core::Clock& clock,
         ApiOptions options)
    : service_(service), verifier_(verifier), clock_(clock), options_(std::move(options)) {
  routes_ = {
      {"POST", {"notifications"}, Who::producer, &Api::create_notification},
      {"GET", {"me", "notifications"}, Who::user, &Api::list_inbox},
      {"GET", {"me", "notifications", "unread_count"}, Who::user, &Api::unread_count},
      {"POST", {"me", "notifications", "read_all"}, Who::user, &Api::read_all},
      {"POST", {"me", "notifications", "*", "read"}, Who::user, &Api::mark_read},
      {"POST", {"me", "notifications", "*", "unread"}, Who::user, &Api::mark_unread},
      {"PUT", {"users", "*"}, Who::producer, &Api::put_user},
      {"GET", {"users", "*"}, Who::producer, &Api::get_user},
      {"GET", {"notification-types"}, Who::producer, &Api::list_types},
      {"POST", {"notification-types"}, Who::producer, &Api::create_type},
  };
}

namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) out.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Percent-decodes one path segment; nullopt on a malformed escape.
std::optional<std::string> decode_segment(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt; // needs two hex digits
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

bool key_matches(std::string_view given, const std::vector<std::string>& keys) {
  bool ok = false;
  for (const auto& k : keys) // constant time per key, and every key is tried
    ok |= k.size() == given.size() && CRYPTO_memcmp(k.data(), given.data(), k.size()) == 0;
  return ok;
}

} // namespace

std::variant<Caller, transport::HttpResponse> Api::authenticate(const transport::HttpRequest& req,
                                                                Who who) const {
  Caller caller;
  if (const auto key = req.header("X-Api-Key"); !key.empty()) {
    if (!key_matches(key, options_.api_keys)) return error_response(401, "UNAUTHORIZED", "unknown API key");
    if (who == Who::user) return error_response(401, "UNAUTHORIZED", "this route needs a user token");
    caller.producer = true;
    return caller;
  }
  const auto header = req.header("Authorization");
  const auto token = auth::strip_bearer(header);
  if (token.empty()) return error_response(401, "UNAUTHORIZED", "send a Bearer token or an X-Api-Key");
  auto claims = verifier_.verify(token, clock_.wall_now());
  if (!claims) {
    const auto code = auth::error_code(claims.error());
    if (code == "SERVER_ERROR") return error_response(500, "SERVER_ERROR", "token verification failed");
    return error_response(401, code, std::string(auth::describe(claims.error())));
  }
  auto principal = auth::principal_from_claims(*claims);
  if (!principal) return error_response(401, "INVALID_TOKEN", std::string(auth::describe(principal.error())));
  caller.producer = auth::is_producer(*principal);
  if (who == Who::producer && !caller.producer)
    return error_response(403, "FORBIDDEN", "this route is for producers (role service or admin)");
  caller.principal = std::move(*principal);
  return caller;
}

void Api::handle(transport::HttpRequest&& request, transport::Responder responder) {
  const auto segments = split_path(std::string_view(request.path).substr(std::string_view("/api/v1").size()));
  bool path_known = false;
  for (const auto& route : routes_) {
    if (route.pattern.size() != segments.size()) continue;
    std::vector<std::string> params;
    bool match = true;
    for (std::size_t i = 0; i < segments.size() && match; ++i) {
      if (route.pattern[i] == "*") {
        auto decoded = decode_segment(segments[i]);
        if (!decoded || decoded->empty()) {
          match = false;
          break;
        }
        params.push_back(std::move(*decoded));
      } else {
        match = route.pattern[i] == segments[i];
      }
    }
    if (!match) continue;
    path_known = true;
    if (route.method != request.method) continue;
    auto caller = authenticate(request, route.who);
    if (auto* denied = std::get_if<transport::HttpResponse>(&caller))
      return responder.send(std::move(*denied));
    return (this->*route.handler)(request, std::get<Caller>(caller), params, std::move(responder));
  }
  if (path_known)
    return responder.send(error_response(405, "METHOD_NOT_ALLOWED", "method not allowed on this path"));
  responder.send(error_response(404, "NOT_FOUND", "no such endpoint"));
}

} // namespace herald::api
