#pragma once
// The Engine.IO server: validates requests on its path, creates sessions on the loop that
// received the handshake, and routes every later request of a session to that loop (the
// loop index is the last character of the session id).

#include "core/loop_group.hpp"
#include "core/timer_wheel.hpp"
#include "engineio/options.hpp"
#include "engineio/session.hpp"
#include "transport/http_server.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace herald::engineio {

// Called on the session's loop for every new session; returns its handler. The handshake
// request is valid only during the call.
using ConnectionFactory =
    std::function<std::unique_ptr<SessionHandler>(Session& session, const transport::HttpRequest& handshake)>;

class Server {
public:
  Server(core::LoopGroup& loops, ServerOptions options, ConnectionFactory factory);
  ~Server();

  const ServerOptions& options() const { return options_; }
  core::LoopGroup& loops() { return loops_; }
  // True when the request's path is this server's path.
  bool matches(std::string_view path) const;
  void handle_request(transport::HttpRequest&& request, transport::Responder responder);
  void handle_upgrade(transport::HttpRequest&& request, transport::PendingUpgrade upgrade);

  std::size_t session_count() const { return session_count_.load(std::memory_order_relaxed); }
  // Closes every session; returns once each loop has done so. Call off-loop.
  void close_all();

  // For sessions: CORS headers for a response to `request`'s origin.
  void add_cors_headers(const transport::HttpRequest& request, transport::HttpResponse& response) const;
  core::TimerWheel& wheel(std::size_t loop_index);
  // Removes the session after the current event (never from inside its own callback).
  void reap(Session& session);
  // The session on the calling loop, or nullptr.
  Session* find_local(std::string_view sid);

private:
  struct LoopState;
  void open_session(const transport::HttpRequest& request, transport::Responder* responder,
                    transport::PendingUpgrade* upgrade);
  std::string new_session_id(std::size_t loop_index) const;

  core::LoopGroup& loops_;
  ServerOptions options_;
  ConnectionFactory factory_;
  std::vector<std::unique_ptr<LoopState>> states_;
  std::atomic<std::size_t> session_count_{0};
};

} // namespace herald::engineio
