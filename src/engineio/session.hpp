#pragma once
// One Engine.IO session: its transport (long-polling, WebSocket, or polling on its way to
// WebSocket), its outbound queue while polling, and its heartbeat. Lives on one loop for
// life and is owned by that loop's registry in the Server; everything here runs there.

#include "core/timer_wheel.hpp"
#include "engineio/packet.hpp"
#include "transport/http_server.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::engineio {

class Server;

// A session or socket id (20 or 21 base64url characters), kept inline: a std::string of
// that length would be one more heap block per connection. No size byte: the id ends at
// the first NUL (ids never hold one), so that a Session's flags fit beside it.
class ShortId {
public:
  static constexpr std::size_t kCapacity = 21; // 15 random bytes in base64url, and a loop
  ShortId() = default;
  explicit ShortId(std::string_view s) { std::memcpy(data_.data(), s.data(), std::min(s.size(), kCapacity)); }
  std::string_view view() const { return {data_.data(), ::strnlen(data_.data(), kCapacity)}; }
  operator std::string_view() const { return view(); }

private:
  std::array<char, kCapacity> data_{};
};

// The layer above (Socket.IO) implements this, one instance per session.
class SessionHandler {
public:
  virtual ~SessionHandler() = default;
  // A message packet from the client. `data` is valid only during the call.
  virtual void on_message(bool binary, std::string_view data) = 0;
  // The session ended; called once. No send after this has any effect.
  virtual void on_close(std::string_view reason) = 0;
};

class Session final : public core::TimedEntry, private transport::WebSocketHandler {
public:
  Session(Server& server, std::string id, std::size_t loop_index);
  ~Session() override;

  const ShortId& id() const { return id_; }
  std::size_t loop_index() const { return loop_index_; }
  bool is_open() const { return state_ == State::open; }
  bool is_websocket() const { return transport_ == Transport::websocket; }

  void set_handler(std::unique_ptr<SessionHandler> handler) { handler_ = std::move(handler); }
  SessionHandler* handler() const { return handler_.get(); }

  // Queues one packet; with WebSocket it leaves at the end of this loop iteration.
  void send(SharedOutFrame frame);
  void send_message(std::string_view text) { send(make_text_frame(PacketType::message, text)); }
  void send_binary(std::string_view bytes) { send(make_binary_frame(bytes)); }
  // Ends the session from the server side; queued packets are still delivered.
  void close(std::string_view reason);

  // Entry points used by the Server, on this session's loop.
  void open_polling(transport::Responder responder);
  void open_websocket(transport::PendingUpgrade upgrade);
  void on_poll(transport::Responder responder);
  void on_post(std::string_view body, transport::Responder responder);
  void on_upgrade(transport::PendingUpgrade upgrade);
  // True when a heartbeat deadline passed but the wheel has not fired yet.
  bool heartbeat_expired() const;

private:
  enum class State : uint8_t { open, draining, closed };
  enum class Transport : uint8_t { polling, websocket };

  std::string handshake_payload(bool websocket) const;
  void on_packet(Packet&& packet, bool from_websocket);
  void on_ws_message(bool binary, std::string_view payload) override;
  void on_ws_closed() override;
  void on_timer() override;
  void flush_poll();
  void end(std::string_view reason, bool client_initiated);
  void schedule_ping();
  // Detaches and closes the WebSocket, if any.
  void drop_websocket();
  // Empties the polling queue; queued_bytes follows it.
  void clear_queue();
  // The long-polling state, allocated on first use.
  struct Polling;
  Polling& polling();
  bool poll_waiting() const;
  // Answers the waiting poll, if any, with `body`.
  void release_poll(std::string body);

  Server& server_;
  ShortId id_;
  // Bit-fields beside the id: the id, the flags and the loop index share one 24-byte span.
  State state_ : 2 = State::open;
  Transport transport_ : 1 = Transport::polling;
  bool upgrading_ : 1 = false;
  bool awaiting_pong_ : 1 = false;
  bool overflowed_ : 1 = false; // the polling queue hit its cap: the session is about to end
  uint16_t loop_index_;
  std::unique_ptr<SessionHandler> handler_;
  std::shared_ptr<transport::WebSocket> ws_;
  // Behind a pointer so that only polling sessions pay for it (some 80 bytes); freed when
  // the upgrade to WebSocket completes.
  std::unique_ptr<Polling> polling_;
  core::SteadyTime deadline_{}; // next ping, or the pong deadline
};

} // namespace herald::engineio
