#include "realtime/gateway.hpp"

#include "auth/token_source.hpp"
#include "core/timer_wheel.hpp"
#include "socketio/client.hpp"

#include "transport/http_message.hpp"
#include <spdlog/spdlog.h>

namespace herald::realtime {
namespace json = boost::json;

std::string user_room(std::string_view user_id) { return std::string(kUserRoomPrefix).append(user_id); }
std::string dept_room(std::string_view dept_id) { return "dept:" + std::string(dept_id); }
std::string batch_user_room(std::string_view user_id) { return "batch:user:" + std::string(user_id); }

void emit_error(socketio::Socket& socket, std::string_view code, std::string_view message,
                json::value details) {
  json::object body{{"message", message}, {"code", code}};
  if (!details.is_null()) body["details"] = std::move(details);
  socket.emit("error", json::array{std::move(body)});
}

// A socket of the namespace and its state, in one allocation. Once connected it keeps
// only the user id, its event budget and its expiry entry; the full principal lives from
// the middleware to the end of the connection handler.
struct Gateway::SocketState final : socketio::Socket, core::TimedEntry {
  SocketState(Gateway& g, socketio::Client& client, socketio::Namespace& nsp, std::string id,
              socketio::Handshake handshake)
      : Socket(client, nsp, std::move(id), std::move(handshake)), gateway(g) {}

  ~SocketState() override {
    // In this order: release() may free the user id.
    if (announced_batching) gateway.hooks_.on_batching_socket(*user, false);
    if (counted) gateway.limits_.release(*user);
  }

  void on_timer() override {
    if (!connected()) return;
    emit("auth_error", json::array{json::object{{"message", "Token expired"}, {"code", "EXPIRED_TOKEN"}}});
    disconnect();
  }

  // The flags first: they fit in the tail padding of Socket (8 bytes less per socket).
  bool counted = false; // the connection counts against its user's limit
  bool wants_batches = false;
  bool announced_batching = false; // announced through on_batching_socket
  Gateway& gateway;
  // From the middleware to the end of the connection handler: the principal, or in legacy
  // event mode the (static) code of the refusal. One pointer on an idle connection.
  struct Admission {
    std::optional<auth::Principal> principal;
    std::string_view rejected_code;
  };
  // The user id as UserLimits keeps it (alive while the connection counts, that is for the
  // socket's life): 8 bytes instead of a 32-byte string. Null until authenticated.
  const std::string* user = nullptr;
  bool authenticated() const { return user && !user->empty(); }
  std::unique_ptr<Admission> admission;
  EventBudget budget;
};

namespace {

// Every socket of the namespace is a SocketState (the namespace's socket factory).
Gateway::SocketState* state_of(const socketio::Socket& socket) {
  if (socket.nsp().name() != kNamespace) return nullptr;
  return static_cast<Gateway::SocketState*>(const_cast<socketio::Socket*>(&socket));
}

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  auto params = transport::parse_query_params(query);
  if (!params) return std::nullopt;
  for (auto& [key, value] : *params)
    if (key == name) return std::move(value);
  return std::nullopt;
}

// Opt-in to notification:batch: handshake auth.batch: true, or query batch=1 (or true).
bool wants_batches(const socketio::Handshake& hs) {
  if (const auto* o = hs.auth.if_object())
    if (const auto* b = o->if_contains("batch"); b && b->is_bool() && b->as_bool()) return true;
  const auto q = query_param(hs.query, "batch");
  return q && (*q == "1" || *q == "true");
}

std::optional<std::string_view> auth_token(const json::value& auth) {
  if (const auto* o = auth.if_object())
    if (const auto* t = o->if_contains("token"); t && t->is_string()) return std::string_view(t->as_string());
  return std::nullopt;
}

// The first argument as an object, or nullptr.
const json::object* object_arg(const socketio::Payload& payload) {
  if (payload.args.empty()) return nullptr;
  return payload.args.front().if_object();
}

std::optional<std::string> id_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_string() && !v->as_string().empty()) return std::string(v->as_string());
  if (v->is_int64() && v->as_int64() > 0) return std::to_string(v->as_int64());
  if (v->is_uint64()) return std::to_string(v->as_uint64());
  return std::nullopt;
}

// A failure answered through an ack callback: exactly {ok: false, code} (SPEC section 2).
json::array failure_ack(std::string_view code) {
  return json::array{json::object{{"ok", false}, {"code", code}}};
}

void reply_failure(socketio::Socket& socket, socketio::Ack& ack, std::string_view code,
                   std::string_view message) {
  if (ack) {
    ack(failure_ack(code));
  } else {
    emit_error(socket, code, message);
  }
}

// Unknown events and malformed payloads: the error event always (SPEC section 3), and the
// ack, when there is one, its answer too.
void report_failure(socketio::Socket& socket, socketio::Ack& ack, std::string_view code,
                    std::string_view message) {
  emit_error(socket, code, message);
  if (ack) ack(failure_ack(code));
}

} // namespace

const std::string* user_of(const socketio::Socket& socket) {
  auto* st = state_of(socket);
  return st && st->authenticated() ? st->user : nullptr;
}

Gateway::Gateway(socketio::Server& io, const auth::Verifier& verifier, GatewayOptions options,
                 const core::Clock& clock, GatewayHooks hooks)
    : io_(io), nsp_(io.of(kNamespace)), verifier_(verifier), options_(options), clock_(clock),
      hooks_(std::move(hooks)), limits_(options.limits, clock) {
  nsp_.socket_factory([this](socketio::Client& client, socketio::Namespace& nsp, std::string id,
                             socketio::Handshake handshake) {
    return std::make_shared<SocketState>(*this, client, nsp, std::move(id), std::move(handshake));
  });
  nsp_.use([this](socketio::Socket& s) { return authenticate(s); });
  nsp_.on_connection([this](socketio::Socket& s) { on_connection(s); });
  nsp_.on("auth:refresh", [this](socketio::Socket& s, socketio::Payload&& p, socketio::Ack a) {
    if (charge(s)) on_refresh(s, std::move(p), std::move(a));
  });
  nsp_.on("notification:acknowledge", [this](socketio::Socket& s, socketio::Payload&& p, socketio::Ack a) {
    if (charge(s)) on_acknowledge(s, std::move(p), std::move(a));
  });
  nsp_.on("ping", [this](socketio::Socket& s, socketio::Payload&& p, socketio::Ack a) {
    if (charge(s)) on_ping(s, std::move(p), std::move(a));
  });
  nsp_.on_unmatched_ack([this](socketio::Socket& s, uint64_t id, socketio::Payload&&) {
    if (const auto* user = user_of(s); user && hooks_.on_packet_ack) hooks_.on_packet_ack(*user, id);
  });
  nsp_.on_any([this](socketio::Socket& s, std::string_view event, socketio::Payload&& p, socketio::Ack a) {
    if (charge(s)) on_unknown(s, event, std::move(p), std::move(a));
  });
}

std::optional<socketio::ConnectError> Gateway::authenticate(socketio::Socket& socket) {
  auto* state = state_of(socket);
  auto refuse = [&](std::string_view code) -> std::optional<socketio::ConnectError> {
    if (options_.reject_mode == RejectMode::event) {
      state->admission = std::make_unique<SocketState::Admission>();
      state->admission->rejected_code = code;
      return std::nullopt;
    }
    const bool server_fault = code == "SERVER_ERROR";
    return socketio::ConnectError{server_fault ? "Server error" : "Authentication failed",
                                  json::object{{"code", code}}};
  };
  const auto& hs = socket.handshake();
  const auto from_query = query_param(hs.query, "token");
  std::optional<std::string_view> header;
  if (!hs.authorization.empty()) header = hs.authorization;
  const auto token = auth::extract_token(
      auth_token(hs.auth), from_query ? std::optional<std::string_view>(*from_query) : std::nullopt, header);
  if (!token) return refuse("INVALID_TOKEN");
  auto claims = verifier_.verify(*token, clock_.wall_now());
  if (!claims) {
    spdlog::debug("notifications: token refused: {}", auth::describe(claims.error()));
    return refuse(auth::error_code(claims.error()));
  }
  auto principal = auth::principal_from_claims(*claims);
  if (!principal) return refuse(auth::error_code(principal.error()));
  // Limits refuse with CONNECT_ERROR in every reject mode (SPEC section 6).
  const auto verdict = limits_.admit(principal->user_id);
  if (verdict.admission == UserLimits::Admission::banned)
    return socketio::ConnectError{
        "Temporarily banned", json::object{{"code", "BANNED"}, {"retry_after", verdict.retry_after_seconds}}};
  if (verdict.admission == UserLimits::Admission::too_many)
    return socketio::ConnectError{"Too many connections", json::object{{"code", "TOO_MANY_CONNECTIONS"}}};
  state->counted = true;
  state->user = verdict.user;
  socket.join(user_room(principal->user_id));
  for (const auto& d : principal->departments)
    socket.join(dept_room(d));
  socket.join(kBroadcastRoom);
  if (wants_batches(hs)) {
    socket.join(kBatchRoom);
    socket.join(batch_user_room(principal->user_id));
    state->wants_batches = true;
  }
  state->admission = std::make_unique<SocketState::Admission>();
  state->admission->principal = std::move(*principal);
  return std::nullopt;
}

void Gateway::on_connection(socketio::Socket& socket) {
  auto* state = state_of(socket);
  if (!state) return;
  if (!state->authenticated()) {
    // Legacy mode: tell the client why, then let it go.
    const std::string_view code = state->admission ? state->admission->rejected_code : std::string_view();
    state->admission.reset();
    const bool server_fault = code == "SERVER_ERROR";
    socket.emit("auth_error",
                json::array{json::object{{"message", server_fault ? "Server error" : "Authentication failed"},
                                         {"code", code}}});
    socket.disconnect();
    return;
  }
  // Names, roles and departments are not needed past this handler (departments live on as
  // the socket's dept: rooms).
  const auto admission = std::move(state->admission);
  if (!admission || !admission->principal) return;
  const auto& principal = admission->principal;
  const auto connected_at = clock_.wall_now();
  arm_expiry(*state, principal->expires_at);
  if (hooks_.on_authenticated) hooks_.on_authenticated(*principal);
  if (state->wants_batches && hooks_.on_batching_socket) {
    hooks_.on_batching_socket(*state->user, true);
    state->announced_batching = true;
  }
  socket.emit("authenticated",
              json::array{json::object{{"user_id", *state->user},
                                       {"connected_at", core::format_iso8601(connected_at)}}});
  if (hooks_.on_connected) hooks_.on_connected(socket, *principal);
}

void Gateway::arm_expiry(SocketState& state, const std::optional<core::WallTime>& expires_at) {
  auto& wheel = io_.engine().wheel(state.client().session().loop_index());
  if (!expires_at) {
    wheel.cancel(state);
    return;
  }
  const auto ends = *expires_at + options_.leeway;
  const auto left = ends - clock_.wall_now();
  wheel.schedule(state, clock_.steady_now() + std::chrono::duration_cast<std::chrono::nanoseconds>(left));
}

bool Gateway::charge(socketio::Socket& socket) {
  auto* state = state_of(socket);
  if (!state || !state->authenticated()) return false;
  const auto now = clock_.steady_now();
  const auto limit = options_.limits.max_events_per_minute;
  switch (state->budget.spend(now, limit)) {
  case EventBudget::Outcome::allowed:
    return true;
  case EventBudget::Outcome::dropped:
    emit_error(socket, "RATE_LIMITED", "Too many events",
               json::object{{"limit", limit}, {"retry_after", state->budget.retry_after(now)}});
    return false;
  case EventBudget::Outcome::exhausted:
    // This event is the limit-th dropped: answered like every dropped one (SPEC section 6),
    // then the ban.
    emit_error(socket, "RATE_LIMITED", "Too many events",
               json::object{{"limit", limit}, {"retry_after", state->budget.retry_after(now)}});
    emit_error(socket, "BANNED", "Too many events: temporarily banned");
    limits_.ban(*state->user);
    socket.disconnect();
    return false;
  }
  return false;
}

void Gateway::on_refresh(socketio::Socket& socket, socketio::Payload&& payload, socketio::Ack ack) {
  auto* state = state_of(socket);
  if (!state || !state->authenticated()) return;
  const auto* body = object_arg(payload);
  const auto* token = body ? body->if_contains("token") : nullptr;
  if (!token || !token->is_string()) return reply_failure(socket, ack, "INVALID_PAYLOAD", "Expected {token}");
  auto claims = verifier_.verify(auth::strip_bearer(token->as_string()), clock_.wall_now());
  if (!claims) return reply_failure(socket, ack, auth::error_code(claims.error()), "Token refused");
  auto principal = auth::principal_from_claims(*claims);
  if (!principal) return reply_failure(socket, ack, auth::error_code(principal.error()), "Token refused");
  if (principal->user_id != *state->user)
    return reply_failure(socket, ack, "INVALID_TOKEN", "The token names another user");

  // Department rooms follow the new claims.
  for (const auto& room : socket.rooms())
    if (room.starts_with(dept_room(""))) socket.leave(room);
  for (const auto& d : principal->departments)
    socket.join(dept_room(d));
  arm_expiry(*state, principal->expires_at);
  if (hooks_.on_authenticated) hooks_.on_authenticated(*principal);
  json::object ok{{"ok", true}};
  ok["expires_at"] = principal->expires_at ? json::value(core::format_iso8601(*principal->expires_at))
                                           : json::value(nullptr);
  if (ack) ack(json::array{std::move(ok)});
}

void Gateway::on_acknowledge(socketio::Socket& socket, socketio::Payload&& payload, socketio::Ack ack) {
  auto* state = state_of(socket);
  if (!state || !state->authenticated()) return;
  const auto* body = object_arg(payload);
  const auto recipient = body ? id_field(*body, "recipient_id") : std::nullopt;
  if (!recipient) return report_failure(socket, ack, "INVALID_PAYLOAD", "Expected {recipient_id}");
  if (!hooks_.on_acknowledge) return reply_failure(socket, ack, "SERVER_ERROR", "Server error");
  const auto loop = socket.client().session().loop_index();
  hooks_.on_acknowledge(*state->user, *recipient,
                        [this, loop, weak = socket.weak_from_this(), ack](AckOutcome outcome) mutable {
                          io_.loops().post(loop, [weak = std::move(weak), ack, outcome]() mutable {
                            auto s = weak.lock();
                            if (!s || !s->connected()) return;
                            switch (outcome) {
                            case AckOutcome::ok:
                              if (ack) ack(json::array{json::object{{"ok", true}}});
                              return;
                            case AckOutcome::forbidden:
                              emit_error(*s, "FORBIDDEN", "Not your notification");
                              if (ack) ack(failure_ack("FORBIDDEN"));
                              return;
                            case AckOutcome::unavailable:
                              reply_failure(*s, ack, "SERVER_ERROR", "Server error");
                              return;
                            }
                          });
                        });
}

void Gateway::on_ping(socketio::Socket& socket, socketio::Payload&&, socketio::Ack ack) {
  json::object pong{{"ts", core::format_iso8601(clock_.wall_now())}};
  socket.emit("pong", json::array{pong});
  if (ack) ack(json::array{std::move(pong)});
}

void Gateway::on_unknown(socketio::Socket& socket, std::string_view event, socketio::Payload&&,
                         socketio::Ack ack) {
  if (!user_of(socket)) return;
  report_failure(socket, ack, "UNKNOWN_EVENT", "Unknown event: " + std::string(event));
}

} // namespace herald::realtime
