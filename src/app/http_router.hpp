#pragma once
// Routes HTTP requests: the Socket.IO path to the engine, the service endpoints
// (/healthz, /readyz, /metrics) here, the REST API (/api/v1) to its handler.

#include "socketio/server.hpp"
#include "transport/http_server.hpp"

#include <functional>

namespace herald::app {

class HttpRouter final : public transport::HttpHandler {
public:
  explicit HttpRouter(socketio::Server& io);

  // The handler of everything under /api/v1/; unset answers 404.
  void set_api(std::function<void(transport::HttpRequest&&, transport::Responder)> api) {
    api_ = std::move(api);
  }
  // Extra Prometheus text appended to /metrics.
  void set_metrics_source(std::function<std::string()> source) { metrics_source_ = std::move(source); }

  void on_request(transport::HttpRequest&& request, transport::Responder responder) override;
  void on_upgrade(transport::HttpRequest&& request, transport::PendingUpgrade upgrade) override;

private:
  std::string metrics() const;

  socketio::Server& io_;
  // The inbox page, written once with the engine's configured path.
  const std::string inbox_page_;
  std::function<void(transport::HttpRequest&&, transport::Responder)> api_;
  std::function<std::string()> metrics_source_;
};

} // namespace herald::app
