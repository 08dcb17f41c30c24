#include "app/herald_server.hpp"

#include "app/http_router.hpp"
#include "app/secret.hpp"
#include "auth/key_set.hpp"
#include "auth/verifier.hpp"
#include "core/loop_group.hpp"
#include "realtime/gateway.hpp"
#include "socketio/server.hpp"
#include "transport/http_server.hpp"

#include <csignal>
#include <fstream>
#include <spdlog/spdlog.h>

namespace herald::app {
namespace {

auth::Verifier make_verifier(const Config& config) {
  auth::VerifierOptions o;
  o.algorithm = auth::parse_algorithm(config.auth.algorithm).value_or(auth::Algorithm::HS256);
  if (o.algorithm == auth::Algorithm::HS256) {
    o.secret = resolve_jwt_secret(config);
  } else if (config.auth.jwks_file) {
    o.jwks_json = auth::read_key_file(config.auth.jwks_file->string()).value();
  } else if (config.auth.public_key_file) {
    o.public_key_pem = auth::read_key_file(config.auth.public_key_file->string()).value();
  }
  o.issuer = config.auth.issuer;
  o.audience = config.auth.audience;
  o.leeway = std::chrono::duration_cast<std::chrono::seconds>(config.auth.leeway);
  auto verifier = auth::Verifier::create(std::move(o));
  if (!verifier) throw ConfigError("auth", "auth: " + verifier.error().message);
  return std::move(*verifier);
}

socketio::ServerOptions socketio_options(const Config& config, const core::Clock& clock) {
  socketio::ServerOptions o;
  o.engine.path = config.server.path;
  o.engine.ping_interval = config.server.ping_interval;
  o.engine.ping_timeout = config.server.ping_timeout;
  o.engine.max_payload = config.server.max_payload;
  o.engine.cors_origins = config.server.cors_origins;
  o.engine.clock = &clock;
  return o;
}

} // namespace

std::string resolve_jwt_secret(const Config& config) {
  if (config.auth.jwt_secret) return *config.auth.jwt_secret;
  return load_or_create_secret(default_secret_path(config.store.url));
}

struct HeraldServer::Impl {
  Impl(Config c, const core::Clock& clk)
      : config(std::move(c)), clock(clk), verifier(make_verifier(config)), loops(config.server.threads),
        io(loops, socketio_options(config, clock)),
        gateway(io, verifier,
                realtime::GatewayOptions{config.auth.reject_mode == RejectMode::event ? realtime::RejectMode::event
                                                                                      : realtime::RejectMode::connect_error,
                                         std::chrono::duration_cast<std::chrono::seconds>(config.auth.leeway)},
                clock, realtime::GatewayHooks{}),
        router(io), http(loops, router, http_limits()) {}

  transport::HttpLimits http_limits() const {
    transport::HttpLimits l;
    l.max_body_bytes = config.server.max_payload;
    l.websocket.max_message = config.server.max_payload;
    return l;
  }

  Config config;
  const core::Clock& clock;
  auth::Verifier verifier;
  core::LoopGroup loops;
  socketio::Server io;
  realtime::Gateway gateway;
  HttpRouter router;
  transport::HttpServer http;
  bool started = false;
  bool stopped = false;
};

HeraldServer::HeraldServer(Config config, const core::Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(config), clock)) {}

HeraldServer::~HeraldServer() { stop(); }

uint16_t HeraldServer::start() {
  auto& i = *impl_;
  const auto port = i.http.listen(i.config.server.listen_host, i.config.server.listen_port);
  i.loops.start();
  i.started = true;
  return port;
}

void HeraldServer::stop() {
  auto& i = *impl_;
  if (!i.started || i.stopped) return;
  i.stopped = true;
  i.http.stop();
  i.io.engine().close_all();
  i.loops.stop();
  i.loops.join();
}

int HeraldServer::run(const std::optional<std::filesystem::path>& port_file) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr); // loop threads inherit the mask
  const auto port = start();
  const auto& host = impl_->config.server.listen_host;
  spdlog::info("herald listening on {}:{} (socket.io path {}, {} event loops)", host, port,
               impl_->config.server.path, impl_->config.server.threads);
  if (port_file) std::ofstream(*port_file) << port << "\n";
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("herald: signal {}, shutting down", sig);
  stop();
  return 0;
}

} // namespace herald::app
