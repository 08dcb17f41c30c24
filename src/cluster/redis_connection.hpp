#pragma once
// One connection to a Redis server, on an io_context's thread. Commands go out in RESP,
// formatted by hiredis; replies come back in order through hiredis's reader, and so do the
// messages pushed to a subscribed connection. Held by shared_ptr: the socket operations
// in flight keep it alive after its owner lets go.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct redisReader;

namespace herald::cluster {

struct RedisReply {
  enum class Type { string, array, integer, nil, status, error };
  Type type = Type::nil;
  std::string str; // string, status and error replies
  long long integer = 0;
  std::vector<RedisReply> elements;
};

struct RedisEndpoint {
  std::string host;
  std::string port = "6379";
  std::string username; // empty: AUTH with the password alone
  std::string password; // empty: no AUTH
};

// redis://[[username]:password@]host[:port][/db] (the database number is accepted and
// ignored: pub/sub spans every database). nullopt, with `error` set, for anything else.
std::optional<RedisEndpoint> parse_redis_url(std::string_view url, std::string& error);

class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
public:
  using ReplyHandler = std::function<void(RedisReply&&)>;
  using CloseHandler = std::function<void(const std::string& reason)>;

  // At most `max_buffered` bytes of commands wait for the server.
  RedisConnection(boost::asio::io_context& io, std::size_t max_buffered);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Connects, then authenticates when the endpoint has a password; commands queued
  // meanwhile follow. Every reply but AUTH's goes to `on_reply`; `on_close` is called once,
  // when the connection fails or the server closes it (not after close()).
  void open(const RedisEndpoint& endpoint, ReplyHandler on_reply, CloseHandler on_close);
  // Queues a command; false, and nothing queued, when the buffer is full or the connection closed.
  bool command(std::initializer_list<std::string_view> args);
  void close();
  bool ready() const { return ready_; }

private:
  void fail(const std::string& reason);
  void start_read();
  void start_write();
  void handle_reply(RedisReply&& reply);

  boost::asio::ip::tcp::socket socket_;
  boost::asio::ip::tcp::resolver resolver_;
  std::size_t max_buffered_;
  std::unique_ptr<redisReader, void (*)(redisReader*)> reader_;
  ReplyHandler on_reply_;
  CloseHandler on_close_;
  std::string out_;      // commands not yet handed to the socket
  std::string writing_;  // the bytes of the write in flight
  std::vector<char> in_; // read buffer
  bool ready_ = false;   // connected (and authenticated)
  bool closed_ = false;
  bool awaiting_auth_ = false;
};

} // namespace herald::cluster
