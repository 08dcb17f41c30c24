#pragma once
// The Socket.IO side of one Engine.IO session: decodes packets (reassembling binary
// attachments), multiplexes namespaces, and closes a connection that never joins one.

#include "core/timer_wheel.hpp"
#include "engineio/session.hpp"
#include "socketio/packet.hpp"
#include "socketio/socket.hpp"

#include <memory>
#include <optional>
#include <vector>

namespace herald::socketio {

class Server;

class Client final : public engineio::SessionHandler {
public:
  Client(Server& server, engineio::Session& session, Handshake handshake);
  ~Client() override;

  engineio::Session& session() const { return session_; }
  Server& server() const { return server_; }
  // Encodes and sends one packet with its attachments.
  void send(const Packet& packet);
  // Removes a socket that left its namespace (already told the client, if it must be).
  void detach(Socket& socket, std::string_view reason);
  // Ends the whole connection.
  void close();

private:
  void on_message(bool binary, std::string_view data) override;
  void on_close(std::string_view reason) override;
  void on_connect_timeout();
  void dispatch(Packet&& packet);
  void connect(Packet&& packet);
  Socket* find(std::string_view nsp) const;
  // Calls fn(std::shared_ptr<Socket>&) for each socket.
  template <class Fn> void for_each_socket(Fn&& fn) const;

  // The connect timeout's wheel entry, only until a namespace is joined: a connected client
  // does not carry it (48 bytes).
  struct ConnectTimeout final : core::TimedEntry {
    explicit ConnectTimeout(Client& c) : client(c) {}
    void on_timer() override { client.on_connect_timeout(); }
    Client& client;
  };

  Server& server_;
  engineio::Session& session_;
  std::unique_ptr<ConnectTimeout> connect_timeout_;
  std::unique_ptr<Handshake> handshake_; // null once released (ServerOptions::retain_handshake)
  // A binary packet waiting for its attachments, and their bytes so far.
  struct Partial {
    Packet packet;
    std::size_t bytes = 0;
  };
  // What few connections ever need, behind one pointer (freed once empty): sockets past
  // the first, and a binary packet in flight. 8 bytes less than a pointer for each.
  struct Rare {
    std::vector<std::shared_ptr<Socket>> others;
    std::optional<Partial> partial;
  };
  Rare& rare();
  void drop_rare_if_empty();

  // One socket per namespace joined. Nearly every client joins one namespace: its socket
  // sits inline, and others live in rare_.
  std::shared_ptr<Socket> first_;
  std::unique_ptr<Rare> rare_;
  bool closed_ = false;
};

} // namespace herald::socketio
