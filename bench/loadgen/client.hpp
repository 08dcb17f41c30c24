#pragma once
// One Socket.IO v5 client over an Engine.IO v4 WebSocket, spoken directly: the HTTP
// upgrade, masked client frames (RFC 6455 5.3), pings answered, the namespace joined with
// a token. It keeps no read buffer of its own while idle (a shared scratch buffer takes
// each read), so 19,000 of them fit in one small process.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace herald::bench {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class Client;

// What the fleet learns from its clients; called on the loop's thread.
class ClientObserver {
public:
  virtual ~ClientObserver() = default;
  virtual void on_ready(Client& client) = 0; // `authenticated` arrived
  virtual void on_notification(Client& client, std::string_view id, std::string_view title) = 0;
  // The connection failed or the server ended it; `why` is for the report.
  virtual void on_lost(Client& client, std::string_view why) = 0;
};

struct ServerTarget {
  tcp::endpoint endpoint;
  std::string host;                 // Host header
  std::string path = "/socket.io/"; // Engine.IO endpoint
  std::string nsp = "/notifications";
  bool ack = false; // answer the Socket.IO ack of each notification:new / notification:batch
};

class Client {
public:
  enum class State { idle, connecting, upgrading, opening, joining, ready, closed };

  Client(asio::io_context& io, ClientObserver& observer, std::size_t index);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Connects from `source` (the port is picked at connect time, so ports in TIME_WAIT on
  // other four-tuples are reused) and joins the namespace with `token`. `token` must
  // outlive the connection.
  void start(const ServerTarget& target, const asio::ip::address_v4& source, const std::string& token);
  // Ends the connection from the client side; the observer is not told.
  void close();

  State state() const { return state_; }
  std::size_t index() const { return index_; }
  int64_t started_ns() const { return started_ns_; }
  int64_t ready_ns() const { return ready_ns_; }

private:
  void on_connect(const boost::system::error_code& ec, unsigned generation);
  void wait_readable();
  void on_readable(const boost::system::error_code& ec, unsigned generation);
  // Handles whole messages at the start of `data`; returns the bytes used.
  std::size_t consume(char* data, std::size_t size);
  std::size_t consume_upgrade(const char* data, std::size_t size);
  void on_text(std::string_view message);
  void on_socketio(std::string_view packet);
  void on_event(std::string_view json);
  void send_frame(int opcode, std::string_view payload);
  void flush();
  void lose(std::string_view why);

  tcp::socket socket_;
  ClientObserver& observer_;
  std::size_t index_;
  const ServerTarget* target_ = nullptr;
  const std::string* token_ = nullptr;
  State state_ = State::idle;
  unsigned generation_ = 0; // completions of an earlier connection are ignored
  std::string key_;         // Sec-WebSocket-Key of the pending upgrade
  std::string partial_;     // bytes of an unfinished message; empty while idle
  std::string out_;         // frames waiting for the write in flight
  std::string writing_;     // the write in flight
  bool write_pending_ = false;
  int64_t started_ns_ = 0;
  int64_t ready_ns_ = 0;
};

} // namespace herald::bench
