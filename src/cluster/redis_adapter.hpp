#pragma once
// Fan-out between nodes through Redis pub/sub, in the wire format of the Node.js Socket.IO
// Redis adapter (@socket.io/redis-adapter 8), so that Herald nodes, Node.js servers using
// that adapter and services using @socket.io/redis-emitter reach one another's sockets.
//
// Channels, for key K and namespace N (K is "socket.io" unless configured):
//   K#N#        broadcasts, msgpack [uid, packet, {rooms, except, flags}]
//   K#N#room#   the same for a broadcast to exactly one room
//   K-request#N#, K-response#N#   requests between nodes (JSON or msgpack) and answers
// This node answers the requests other nodes may wait on (sockets, rooms, fetch, join,
// leave, disconnect); it never sends requests of its own. Delivery is Redis pub/sub's: a
// message published while a node is away from Redis is not seen by that node.
//
// Runs one thread of its own with two connections (publisher, subscriber), reconnecting
// after a loss; the event loops only post to it.

#include "cluster/redis_connection.hpp"
#include "socketio/adapter.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

namespace herald::cluster {

struct RedisAdapterOptions {
  RedisEndpoint endpoint;
  std::string key = "socket.io";               // the Node adapter's `key` option
  std::size_t max_buffered = 64u << 20;        // bytes of commands waiting for a slow or absent Redis
  std::size_t max_queued = 1'000'000;          // broadcasts handed over, waiting for this thread
  std::chrono::milliseconds max_backoff{5000}; // between reconnection attempts
};

struct RedisAdapterStats {
  std::uint64_t published = 0; // broadcasts sent to Redis
  std::uint64_t received = 0;  // broadcasts from other nodes delivered here
  std::uint64_t dropped = 0;   // broadcasts not sent: Redis away or too slow, or this node behind
  bool connected = false;      // both connections up and subscribed
};

class RedisAdapter final : public socketio::Adapter {
public:
  RedisAdapter(socketio::Namespace& nsp, RedisAdapterOptions options);
  ~RedisAdapter() override;

  // Starts the adapter's thread and connects. Returns at once.
  void start();
  // Closes the connections and joins the thread. Idempotent.
  void stop();

  void publish(std::shared_ptr<const socketio::EncodedPacket> frames,
               const socketio::BroadcastOptions& options) override;
  void publish_fan_out(std::shared_ptr<const socketio::RoomFanout> fanout) override;

  RedisAdapterStats stats() const;
  const std::string& uid() const { return uid_; }

private:
  void connect_publisher();
  void connect_subscriber();
  void schedule_reconnect(bool subscriber, const std::string& reason);
  // Sets `connected_` from both connections' state, and logs a change for the better.
  void update_connected();
  void on_subscriber_reply(RedisReply&& reply);
  void on_broadcast(std::string_view channel, std::string_view message);
  void on_request(std::string_view message);
  void respond(std::string response);
  // On the adapter's thread: one broadcast to PUBLISH.
  void send(const socketio::EncodedPacket& frames, const socketio::BroadcastOptions& options);
  // Counts `messages` as waiting for this thread; false (and counted dropped) past max_queued.
  bool admit(std::size_t messages);

  socketio::Namespace& nsp_;
  RedisAdapterOptions options_;
  std::string uid_;
  std::string channel_;
  std::string request_channel_;
  std::string response_channel_;

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  std::shared_ptr<RedisConnection> publisher_;
  std::shared_ptr<RedisConnection> subscriber_;
  boost::asio::steady_timer publisher_retry_;
  boost::asio::steady_timer subscriber_retry_;
  std::chrono::milliseconds publisher_backoff_{0};
  std::chrono::milliseconds subscriber_backoff_{0};
  int subscriptions_ = 0;     // confirmed on the current subscriber connection
  bool publisher_up_ = false; // the current publisher connection answered PING
  bool away_logged_ = false;

  std::atomic<std::uint64_t> published_{0};
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::size_t> queued_{0}; // messages posted to this thread, not yet sent
  std::atomic<bool> connected_{false};
  std::atomic<bool> stopped_{false};
};

} // namespace herald::cluster
