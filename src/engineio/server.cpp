#include "engineio/server.hpp"

#include "engineio/owning_id_table.hpp"

#include "core/ids.hpp"

#include <future>
#include <spdlog/spdlog.h>

namespace herald::engineio {
namespace {

constexpr std::string_view kLoopAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct Query {
  std::string eio;
  std::string transport;
  std::string sid;
  bool has_eio = false;
};

Query parse_query(std::string_view q) {
  Query out;
  auto params = transport::parse_query_params(q);
  if (!params) return out;
  for (auto& [key, value] : *params) {
    if (key == "EIO") {
      out.eio = std::move(value);
      out.has_eio = true;
    } else if (key == "transport") {
      out.transport = std::move(value);
    } else if (key == "sid") {
      out.sid = std::move(value);
    }
  }
  return out;
}

transport::HttpResponse error_response(int code, std::string_view message) {
  return transport::HttpResponse::json(400, R"({"code":)" + std::to_string(code) + R"(,"message":")" +
                                                std::string(message) + "\"}");
}

} // namespace

struct Server::LoopState {
  LoopState(boost::asio::io_context& loop, const core::Clock& clock) : wheel(&loop, clock) {}
  core::TimerWheel wheel;
  OwningIdTable<Session> sessions;
};

Server::Server(core::LoopGroup& loops, ServerOptions options, ConnectionFactory factory)
    : loops_(loops), options_(std::move(options)), factory_(std::move(factory)) {
  if (options_.path.empty() || options_.path.back() != '/') options_.path += '/';
  for (std::size_t i = 0; i < loops_.size(); ++i)
    states_.push_back(std::make_unique<LoopState>(loops_.loop(i), *options_.clock));
}

Server::~Server() = default;

bool Server::matches(std::string_view path) const {
  // "/socket.io/" and "/socket.io" both reach the server, as with the reference server.
  const std::string_view p = options_.path;
  return path == p || path == p.substr(0, p.size() - 1);
}

core::TimerWheel& Server::wheel(std::size_t loop_index) { return states_[loop_index]->wheel; }

Session* Server::find_local(std::string_view sid) {
  const auto idx = core::LoopGroup::current_index();
  if (idx == core::LoopGroup::npos) return nullptr;
  return states_[idx]->sessions.find(sid);
}

void Server::reap(Session& session) {
  const auto idx = session.loop_index();
  loops_.post(idx, [this, idx, sid = session.id()] {
    if (!states_[idx]->sessions.take(sid.view())) return; // destroyed here
    session_count_.fetch_sub(1, std::memory_order_relaxed);
  });
}

std::string Server::new_session_id(std::size_t loop_index) const {
  // 15 random bytes (120 bits) then the home loop.
  return core::random_token(15) + kLoopAlphabet[loop_index % kLoopAlphabet.size()];
}

void Server::add_cors_headers(const transport::HttpRequest& request,
                              transport::HttpResponse& response) const {
  const auto origin = request.header("Origin");
  if (origin.empty()) return;
  bool allowed = false;
  for (const auto& o : options_.cors_origins)
    allowed = allowed || o == "*" || o == origin;
  if (!allowed) return;
  response.with_header("Access-Control-Allow-Origin", std::string(origin))
      .with_header("Access-Control-Allow-Credentials", "true")
      .with_header("Vary", "Origin");
}

void Server::handle_request(transport::HttpRequest&& request, transport::Responder responder) {
  if (request.method == "OPTIONS") {
    transport::HttpResponse res;
    res.status = 204;
    add_cors_headers(request, res);
    res.with_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    if (auto h = request.header("Access-Control-Request-Headers"); !h.empty())
      res.with_header("Access-Control-Allow-Headers", std::string(h));
    res.content_type.clear();
    return responder.send(std::move(res));
  }
  const auto q = parse_query(request.query);
  auto reply = [&](transport::HttpResponse res) {
    add_cors_headers(request, res);
    responder.send(std::move(res));
  };
  if (!q.has_eio || q.eio != "4") return reply(error_response(5, "Unsupported protocol version"));
  if (q.transport != "polling") return reply(error_response(0, "Transport unknown"));
  if (q.sid.empty()) {
    if (request.method != "GET") return reply(error_response(2, "Bad handshake method"));
    return open_session(request, &responder, nullptr);
  }
  if (request.method != "GET" && request.method != "POST") return reply(error_response(3, "Bad request"));
  const auto idx = kLoopAlphabet.find(q.sid.back());
  if (idx == std::string_view::npos || idx >= loops_.size())
    return reply(error_response(1, "Session ID unknown"));

  // Hand the request to the session's home loop.
  loops_.post(idx,
              [this, request = std::move(request), responder = std::move(responder), sid = q.sid]() mutable {
                auto* session = find_local(sid);
                auto reply_here = [&](transport::HttpResponse res) {
                  add_cors_headers(request, res);
                  responder.send(std::move(res));
                };
                if (session && session->heartbeat_expired()) {
                  session->close("ping timeout");
                  session = nullptr;
                }
                if (!session) return reply_here(error_response(1, "Session ID unknown"));
                // Responses carry CORS headers; the responder is wrapped so the session need not know.
                transport::HttpResponse cors;
                add_cors_headers(request, cors);
                if (request.method == "GET") {
                  session->on_poll(std::move(responder).with_headers(std::move(cors.headers)));
                } else {
                  session->on_post(request.body, std::move(responder).with_headers(std::move(cors.headers)));
                }
              });
}

void Server::handle_upgrade(transport::HttpRequest&& request, transport::PendingUpgrade upgrade) {
  const auto q = parse_query(request.query);
  if (!q.has_eio || q.eio != "4")
    return upgrade.reject(400, R"({"code":5,"message":"Unsupported protocol version"})");
  if (q.transport != "websocket") return upgrade.reject(400, R"({"code":0,"message":"Transport unknown"})");
  if (q.sid.empty()) return open_session(request, nullptr, &upgrade);
  const auto idx = kLoopAlphabet.find(q.sid.back());
  if (idx == std::string_view::npos || idx >= loops_.size())
    return upgrade.reject(400, R"({"code":1,"message":"Session ID unknown"})");
  loops_.post(idx, [this, upgrade = std::move(upgrade), sid = q.sid]() mutable {
    auto* session = find_local(sid);
    if (!session) return upgrade.reject(400, R"({"code":1,"message":"Session ID unknown"})");
    session->on_upgrade(std::move(upgrade));
  });
}

void Server::open_session(const transport::HttpRequest& request, transport::Responder* responder,
                          transport::PendingUpgrade* upgrade) {
  const auto idx = core::LoopGroup::current_index();
  auto& state = *states_[idx];
  auto session = std::make_unique<Session>(*this, new_session_id(idx), idx);
  auto* s = session.get();
  state.sessions.insert(std::move(session));
  session_count_.fetch_add(1, std::memory_order_relaxed);
  if (responder) {
    transport::HttpResponse cors;
    add_cors_headers(request, cors);
    s->open_polling(std::move(*responder).with_headers(std::move(cors.headers)));
  } else {
    s->open_websocket(std::move(*upgrade));
  }
  if (!s->is_open()) return;
  s->set_handler(factory_(*s, request));
}

void Server::close_all() {
  std::vector<std::future<void>> done;
  for (std::size_t i = 0; i < loops_.size(); ++i) {
    auto p = std::make_shared<std::promise<void>>();
    done.push_back(p->get_future());
    loops_.post(i, [this, i, p] {
      for (auto* s : states_[i]->sessions.all())
        s->close("server shutting down");
      p->set_value();
    });
  }
  for (auto& f : done)
    f.wait();
}

} // namespace herald::engineio
