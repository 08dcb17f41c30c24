#include "app/http_router.hpp"

#include "api/http_error.hpp"
#include "notify/markdown.hpp"
#include "web/assets.hpp"

#include <fmt/format.h>

namespace herald::app {

namespace {
// The page connects on the engine's path: the default is written in its meta element.
constexpr std::string_view kDefaultPagePath = "/socket.io/";

std::string inbox_page_for(const std::string& path) {
  std::string page(web::inbox_page());
  if (path == kDefaultPagePath) return page;
  const std::string meta = fmt::format(R"(<meta name="herald-socket-path" content="{}">)", kDefaultPagePath);
  const auto at = page.find(meta);
  if (at == std::string::npos) return page;
  std::string escaped;
  notify::append_escaped(escaped, path);
  page.replace(at, meta.size(), fmt::format(R"(<meta name="herald-socket-path" content="{}">)", escaped));
  return page;
}
} // namespace

HttpRouter::HttpRouter(socketio::Server& io)
    : io_(io), inbox_page_(inbox_page_for(io.engine().options().path)) {}

void HttpRouter::on_request(transport::HttpRequest&& request, transport::Responder responder) {
  using transport::HttpResponse;
  if (io_.engine().matches(request.path)) return io_.on_request(std::move(request), std::move(responder));
  if (request.path.starts_with("/api/v1/") && api_) {
    // Browser applications on the allowed origins (server.cors_origins) call the API too.
    HttpResponse cors;
    io_.engine().add_cors_headers(request, cors);
    if (request.method == "OPTIONS" && !request.header("Access-Control-Request-Method").empty()) {
      cors.status = 204; // a preflight
      cors.content_type.clear();
      cors.with_header("Access-Control-Allow-Methods", "GET, POST, PUT, OPTIONS")
          .with_header("Access-Control-Max-Age", "600");
      if (auto h = request.header("Access-Control-Request-Headers"); !h.empty())
        cors.with_header("Access-Control-Allow-Headers", std::string(h));
      return responder.send(std::move(cors));
    }
    if (cors.headers.empty()) return api_(std::move(request), std::move(responder));
    return api_(std::move(request), std::move(responder).with_headers(std::move(cors.headers)));
  }
  const bool read = request.method == "GET" || request.method == "HEAD";
  if (request.path == "/healthz" || request.path == "/readyz") {
    if (!read) return responder.send(api::error_response(405, "METHOD_NOT_ALLOWED", "use GET"));
    // Serving means ready: the store was opened and migrated before the listener bound.
    return responder.send(
        HttpResponse::json(200, request.path == "/healthz" ? R"({"status":"ok"})" : R"({"status":"ready"})"));
  }
  if (request.path == "/metrics") {
    auto res = HttpResponse::text(200, metrics());
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return responder.send(std::move(res));
  }
  if (read && (request.path == "/" || request.path == "/index.html")) {
    auto res = HttpResponse::text(200, inbox_page_);
    res.content_type = "text/html; charset=utf-8";
    res.with_header("Cache-Control", "no-cache").with_header("X-Content-Type-Options", "nosniff");
    return responder.send(std::move(res));
  }
  if (read && request.path == "/assets/socket.io.min.js") {
    auto res = HttpResponse::text(200, std::string(web::socketio_client()));
    res.content_type = "application/javascript; charset=utf-8";
    res.with_header("Cache-Control", "public, max-age=86400");
    return responder.send(std::move(res));
  }
  if (read && request.path == "/favicon.ico") {
    HttpResponse res;
    res.status = 204; // no icon, and no 404 in the browser's console
    res.content_type.clear();
    return responder.send(std::move(res));
  }
  responder.send(api::error_response(404, "NOT_FOUND", "no such path"));
}

void HttpRouter::on_upgrade(transport::HttpRequest&& request, transport::PendingUpgrade upgrade) {
  io_.on_upgrade(std::move(request), std::move(upgrade));
}

std::string HttpRouter::metrics() const {
  auto out = fmt::format("# HELP herald_connections Open Engine.IO sessions.\n"
                         "# TYPE herald_connections gauge\n"
                         "herald_connections {}\n",
                         io_.engine().session_count());
  if (metrics_source_) out += metrics_source_();
  return out;
}

} // namespace herald::app
