// sio-conformance-server: the echo server that the official Engine.IO v4 and Socket.IO v5
// protocol test suites expect on port 3000. A raw Engine.IO echo at /engine.io/ and the
// Socket.IO server at /socket.io/, built on the same library as herald.
//
//   sio-conformance-server [--port 3000] [--threads N] [--port-file FILE]

#include "core/loop_group.hpp"
#include "engineio/server.hpp"
#include "socketio/server.hpp"
#include "transport/http_server.hpp"

#include <CLI/CLI.hpp>
#include <csignal>
#include <fstream>
#include <iostream>
#include <thread>

using namespace herald;

namespace {

constexpr std::chrono::milliseconds kPingInterval{300};
constexpr std::chrono::milliseconds kPingTimeout{200};
constexpr std::size_t kMaxPayload = 1'000'000;

// Raw Engine.IO: every message goes back as it came.
class EchoHandler final : public engineio::SessionHandler {
public:
  explicit EchoHandler(engineio::Session& session) : session_(session) {}
  void on_message(bool binary, std::string_view data) override {
    if (binary)
      session_.send_binary(data);
    else
      session_.send_message(data);
  }
  void on_close(std::string_view) override {}

private:
  engineio::Session& session_;
};

// Sends /engine.io/ to the raw echo and everything else to Socket.IO.
class Router final : public transport::HttpHandler {
public:
  Router(engineio::Server& echo, socketio::Server& io) : echo_(echo), io_(io) {}
  void on_request(transport::HttpRequest&& req, transport::Responder res) override {
    if (echo_.matches(req.path)) return echo_.handle_request(std::move(req), std::move(res));
    io_.on_request(std::move(req), std::move(res));
  }
  void on_upgrade(transport::HttpRequest&& req, transport::PendingUpgrade up) override {
    if (echo_.matches(req.path)) return echo_.handle_upgrade(std::move(req), std::move(up));
    io_.on_upgrade(std::move(req), std::move(up));
  }

private:
  engineio::Server& echo_;
  socketio::Server& io_;
};

void install_echo(socketio::Namespace& nsp) {
  nsp.on_connection([](socketio::Socket& s) { s.emit("auth", boost::json::array{s.handshake().auth}); });
  nsp.on("message", [](socketio::Socket& s, socketio::Payload&& p, socketio::Ack) {
    s.emit("message-back", std::move(p.args), std::move(p.attachments));
  });
  nsp.on("message-with-ack",
         [](socketio::Socket&, socketio::Payload&& p, socketio::Ack ack) { ack(std::move(p)); });
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"Echo server for the Engine.IO v4 and Socket.IO v5 protocol test suites"};
  uint16_t port = 3000;
  std::size_t threads = std::max(1u, std::thread::hardware_concurrency());
  std::string host = "0.0.0.0";
  std::string port_file;
  app.add_option("--port", port, "TCP port (0 picks a free one)");
  app.add_option("--host", host, "Address to listen on");
  app.add_option("--threads", threads, "Event loops");
  app.add_option("--port-file", port_file, "Write the bound port to this file");
  CLI11_PARSE(app, argc, argv);

  core::LoopGroup loops(threads);
  engineio::ServerOptions engine_options;
  engine_options.ping_interval = kPingInterval;
  engine_options.ping_timeout = kPingTimeout;
  engine_options.max_payload = kMaxPayload;

  engine_options.path = "/engine.io/";
  engineio::Server echo(loops, engine_options, [](engineio::Session& s, const transport::HttpRequest&) {
    return std::make_unique<EchoHandler>(s);
  });

  socketio::ServerOptions io_options;
  io_options.engine = engine_options;
  io_options.engine.path = "/socket.io/";
  io_options.connect_timeout = std::chrono::milliseconds(1000);
  io_options.connection_handler_delay = std::chrono::milliseconds(5);
  socketio::Server io(loops, io_options);
  install_echo(io.of("/"));
  install_echo(io.of("/custom"));

  Router router(echo, io);
  transport::HttpLimits limits;
  limits.max_body_bytes = kMaxPayload;
  limits.websocket.max_message = kMaxPayload;
  transport::HttpServer http(loops, router, limits);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr); // loop threads inherit the mask

  const auto bound = http.listen(host, port);
  loops.start();
  std::cout << "sio-conformance-server listening on " << host << ":" << bound << std::endl;
  if (!port_file.empty()) std::ofstream(port_file) << bound << "\n";

  int sig = 0;
  sigwait(&signals, &sig);
  http.stop();
  io.engine().close_all();
  echo.close_all();
  loops.stop();
  loops.join();
  return 0;
}
