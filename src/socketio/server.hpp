#pragma once
// The Socket.IO server: namespaces over one Engine.IO server. Configure namespaces before
// serving; after that, broadcasts may come from any thread.
//
//   socketio::Server io(loops, options);
//   io.of("/chat").on("message", [](Socket& s, Payload&& p, Ack ack) { ... });
//   transport::HttpServer http(loops, io, limits);   // io is an HttpHandler
//   http.listen("0.0.0.0", 3000);

#include "core/loop_group.hpp"
#include "engineio/server.hpp"
#include "socketio/namespace.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace herald::socketio {

struct ServerOptions {
  engineio::ServerOptions engine{.path = "/socket.io/"};
  // A connection that joins no namespace within this time is closed.
  std::chrono::milliseconds connect_timeout{45'000};
  std::size_t max_attachments = 64;
  // Time between the CONNECT answer and the namespace's connection handler. Zero in
  // production. The protocol test suite reads raw WebSocket messages with one-shot
  // listeners and loses a message that shares a TCP read with the CONNECT answer, so its
  // echo server gives the answer a few milliseconds to leave alone.
  std::chrono::milliseconds connection_handler_delay{0};
  // Keep each socket's handshake (auth payload, query, Authorization header) for its whole
  // life. Without it the handshake is freed once the connection handler has run, and a
  // connection forgets it once a namespace joined: a token is a few hundred bytes, more
  // than everything else an idle connection holds.
  bool retain_handshake = true;
};

class Server : public transport::HttpHandler {
public:
  Server(core::LoopGroup& loops, ServerOptions options);
  ~Server() override;

  // The namespace `name` ("/" or "/chat"), created on first use. Not thread-safe:
  // call before serving.
  Namespace& of(std::string_view name);
  Namespace* find(std::string_view name);
  // Shorthands for the main namespace.
  Namespace& sockets() { return of("/"); }

  engineio::Server& engine() { return engine_; }
  const ServerOptions& options() const { return options_; }
  core::LoopGroup& loops() { return loops_; }

  // HttpHandler: requests on the engine path; anything else gets 404. Applications with
  // more routes put their own router in front and forward the engine path here.
  void on_request(transport::HttpRequest&& request, transport::Responder responder) override;
  void on_upgrade(transport::HttpRequest&& request, transport::PendingUpgrade upgrade) override;

private:
  core::LoopGroup& loops_;
  ServerOptions options_;
  engineio::Server engine_;
  std::map<std::string, std::unique_ptr<Namespace>, std::less<>> namespaces_;
};

} // namespace herald::socketio
