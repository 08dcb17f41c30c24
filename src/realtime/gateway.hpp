#pragma once
// Herald's real-time face: the /notifications namespace (SPEC sections 2 and 3). It
// authenticates each connection with a JWT, puts the socket in its rooms (user:{id},
// dept:{id}, broadcast), ends it when the token expires, lets the client refresh its token,
// and answers the client events. Storage is reached through hooks, so this layer knows
// sockets and tokens, not databases.

#include "auth/principal.hpp"
#include "auth/verifier.hpp"
#include "core/clock.hpp"
#include "realtime/user_limits.hpp"
#include "socketio/server.hpp"

#include <chrono>
#include <functional>
#include <string>

namespace herald::realtime {

inline constexpr std::string_view kNamespace = "/notifications";

inline constexpr std::string_view kUserRoomPrefix = "user:";
std::string user_room(std::string_view user_id);
std::string dept_room(std::string_view dept_id);
inline constexpr std::string_view kBroadcastRoom = "broadcast";
// Sockets that opted in to notification:batch are also in these two rooms.
inline constexpr std::string_view kBatchRoom = "batch";
std::string batch_user_room(std::string_view user_id);

enum class RejectMode { connect_error, event };

struct GatewayOptions {
  RejectMode reject_mode = RejectMode::connect_error;
  std::chrono::seconds leeway{30};
  LimitOptions limits;
};

// The outcome of notification:acknowledge, decided by the store.
enum class AckOutcome { ok, forbidden, unavailable };

struct GatewayHooks {
  // After a successful authentication (connect or refresh): keep the directory current.
  std::function<void(const auth::Principal&)> on_authenticated;
  // After `authenticated` was sent: redeliver what the user has not acknowledged.
  std::function<void(socketio::Socket&, const auth::Principal&)> on_connected;
  // notification:acknowledge; `done` may be called from any thread.
  std::function<void(const std::string& user_id, const std::string& recipient_id,
                     std::function<void(AckOutcome)> done)>
      on_acknowledge;
  // A Socket.IO acknowledgement of a packet the application sent with its own ack id
  // (notification:new carries one that names the recipient record).
  std::function<void(const std::string& user_id, uint64_t ack_id)> on_packet_ack;
  // A socket that opted in to notification:batch connected (true) or went away (false).
  // Any thread; the emitter holds back only the notifications of users who have one.
  std::function<void(const std::string& user_id, bool connected)> on_batching_socket;
};

// The user of an authenticated socket of the namespace, or nullptr. (Sockets keep only the
// user id once connected: the rest of the principal is dead weight on an idle connection.)
const std::string* user_of(const socketio::Socket& socket);

class Gateway {
public:
  Gateway(socketio::Server& io, const auth::Verifier& verifier, GatewayOptions options,
          const core::Clock& clock, GatewayHooks hooks);

  socketio::Namespace& nsp() { return nsp_; }

  // The namespace's sockets: a Socket with who it is and its expiry timer.
  struct SocketState;

private:
  std::optional<socketio::ConnectError> authenticate(socketio::Socket& socket);
  void on_connection(socketio::Socket& socket);
  void on_refresh(socketio::Socket& socket, socketio::Payload&& payload, socketio::Ack ack);
  void on_acknowledge(socketio::Socket& socket, socketio::Payload&& payload, socketio::Ack ack);
  void on_ping(socketio::Socket& socket, socketio::Payload&& payload, socketio::Ack ack);
  void on_unknown(socketio::Socket& socket, std::string_view event, socketio::Payload&& payload,
                  socketio::Ack ack);
  void arm_expiry(SocketState& state, const std::optional<core::WallTime>& expires_at);
  // Spends one event of the socket's budget; false (after telling the client) when the
  // event must be dropped.
  bool charge(socketio::Socket& socket);

  socketio::Server& io_;
  socketio::Namespace& nsp_;
  const auth::Verifier& verifier_;
  GatewayOptions options_;
  const core::Clock& clock_;
  GatewayHooks hooks_;
  UserLimits limits_;
};

// error {message, code, details?}: the one shape of every client-facing error event.
void emit_error(socketio::Socket& socket, std::string_view code, std::string_view message,
                boost::json::value details = nullptr);

} // namespace herald::realtime
