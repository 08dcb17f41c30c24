#pragma once
// The HTTP front door: one SO_REUSEPORT acceptor per event loop, HTTP/1.1 keep-alive,
// requests handed to an HttpHandler, WebSocket upgrades handed over as a raw socket.

#include "core/loop_group.hpp"
#include "transport/http_message.hpp"
#include "transport/websocket.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace herald::transport {

class HttpConnection;

// The answer to one request. Move-only; send() may be called from any thread, once.
// Dropping an unsent Responder answers 500, so a request can never hang forever.
class Responder {
public:
  explicit Responder(std::shared_ptr<HttpConnection> connection);
  Responder(Responder&&) noexcept = default;
  Responder& operator=(Responder&&) noexcept = default;
  ~Responder();

  void send(HttpResponse response);
  // Headers added to whatever response is sent later (CORS, for instance).
  Responder&& with_headers(HeaderList headers) && {
    for (auto& h : headers)
      extra_headers_.push_back(std::move(h));
    return std::move(*this);
  }
  // `fn` runs (on the connection's loop) if the client goes away before send().
  void on_abort(std::function<void()> fn);
  bool sent() const { return !connection_; }

private:
  std::shared_ptr<HttpConnection> connection_;
  HeaderList extra_headers_;
};

// A WebSocket upgrade request whose socket has left its HTTP connection. Either accept()
// it on the loop that will own the WebSocket, or reject() it. Dropping it closes the socket.
class PendingUpgrade {
public:
  PendingUpgrade(int fd, std::string client_key, WebSocketLimits limits);
  PendingUpgrade(PendingUpgrade&& other) noexcept;
  PendingUpgrade& operator=(PendingUpgrade&&) = delete;
  ~PendingUpgrade();

  // Completes the handshake on `loop` (the calling thread must run `loop`).
  std::shared_ptr<WebSocket> accept(boost::asio::io_context& loop, WebSocketHandler* handler);
  // Answers a plain HTTP error and closes. Any thread.
  void reject(unsigned status, std::string_view body);

private:
  int fd_;
  std::string client_key_;
  WebSocketLimits limits_;
};

class HttpHandler {
public:
  virtual ~HttpHandler() = default;
  // Runs on the loop that read the request.
  virtual void on_request(HttpRequest&& request, Responder responder) = 0;
  // A valid WebSocket upgrade request (GET, Upgrade: websocket, version 13, key present).
  virtual void on_upgrade(HttpRequest&& request, PendingUpgrade upgrade) = 0;
};

struct HttpLimits {
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1'000'000;
  // A request must arrive whole within this time; also the keep-alive idle time.
  std::chrono::milliseconds request_timeout{30'000};
  WebSocketLimits websocket;
};

class HttpServer {
public:
  HttpServer(core::LoopGroup& loops, HttpHandler& handler, HttpLimits limits);
  ~HttpServer();

  // Binds one acceptor per loop to host:port (port 0 picks a free one) and starts
  // accepting. Returns the bound port. Throws std::system_error when it cannot bind.
  uint16_t listen(const std::string& host, uint16_t port);
  // Stops accepting; open connections are left to their owners.
  void stop();

private:
  struct Acceptor;
  void accept_next(Acceptor& acceptor);

  core::LoopGroup& loops_;
  HttpHandler& handler_;
  HttpLimits limits_;
  std::vector<std::unique_ptr<Acceptor>> acceptors_;
};

} // namespace herald::transport
