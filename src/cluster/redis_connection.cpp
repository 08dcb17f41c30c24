#include "cluster/redis_connection.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/url/parse.hpp>
#include <hiredis/hiredis.h>

#include <charconv>

namespace herald::cluster {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::optional<RedisEndpoint> parse_redis_url(std::string_view text, std::string& error) {
  auto url = boost::urls::parse_uri(text);
  if (!url || url->scheme() != "redis") {
    error = "not a redis:// URL";
    return std::nullopt;
  }
  RedisEndpoint e;
  e.host = url->host_address();
  if (e.host.empty()) {
    error = "no host in the redis:// URL";
    return std::nullopt;
  }
  if (url->has_port()) {
    const auto port = url->port();
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
      error = "bad port in the redis:// URL";
      return std::nullopt;
    }
    e.port = std::string(port);
  }
  if (url->has_userinfo()) {
    e.username = url->user();
    e.password = url->password();
  }
  const auto path = url->path();
  if (!path.empty() && path != "/") {
    int db = 0;
    const auto digits = std::string_view(path).substr(1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), db);
    if (ec != std::errc{} || end != digits.data() + digits.size()) {
      error = "the path of a redis:// URL is a database number";
      return std::nullopt;
    }
  }
  return e;
}

namespace {

RedisReply convert(const redisReply& r) {
  RedisReply out;
  switch (r.type) {
  case REDIS_REPLY_STRING:
    out.type = RedisReply::Type::string;
    break;
  case REDIS_REPLY_ARRAY:
    out.type = RedisReply::Type::array;
    break;
  case REDIS_REPLY_INTEGER:
    out.type = RedisReply::Type::integer;
    break;
  case REDIS_REPLY_STATUS:
    out.type = RedisReply::Type::status;
    break;
  case REDIS_REPLY_ERROR:
    out.type = RedisReply::Type::error;
    break;
  default:
    out.type = RedisReply::Type::nil;
    break;
  }
  if (r.str) out.str.assign(r.str, r.len);
  out.integer = r.integer;
  out.elements.reserve(r.elements);
  for (std::size_t i = 0; i < r.elements; ++i)
    out.elements.push_back(convert(*r.element[i]));
  return out;
}

} // namespace

RedisConnection::RedisConnection(asio::io_context& io, std::size_t max_buffered)
    : socket_(io), resolver_(io), max_buffered_(max_buffered), reader_(redisReaderCreate(), &redisReaderFree),
      in_(64 * 1024) {
  if (!reader_) throw std::bad_alloc();
}

RedisConnection::~RedisConnection() = default;

void RedisConnection::open(const RedisEndpoint& endpoint, ReplyHandler on_reply, CloseHandler on_close) {
  on_reply_ = std::move(on_reply);
  on_close_ = std::move(on_close);
  if (!endpoint.password.empty()) {
    // AUTH goes first, before anything queued.
    auto queued = std::move(out_);
    out_.clear();
    if (endpoint.username.empty())
      command({"AUTH", endpoint.password});
    else
      command({"AUTH", endpoint.username, endpoint.password});
    out_ += queued;
    awaiting_auth_ = true;
  }
  resolver_.async_resolve(
      endpoint.host, endpoint.port,
      [self = shared_from_this()](const boost::system::error_code& ec, tcp::resolver::results_type results) {
        if (self->closed_) return;
        if (ec) return self->fail("cannot resolve: " + ec.message());
        asio::async_connect(self->socket_, results,
                            [self](const boost::system::error_code& ec, const tcp::endpoint&) {
                              if (self->closed_) return;
                              if (ec) return self->fail("cannot connect: " + ec.message());
                              self->socket_.set_option(tcp::no_delay(true));
                              self->ready_ = !self->awaiting_auth_;
                              self->start_read();
                              self->start_write();
                            });
      });
}

bool RedisConnection::command(std::initializer_list<std::string_view> args) {
  if (closed_ || out_.size() + writing_.size() > max_buffered_) return false;
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (auto a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  char* formatted = nullptr;
  const int n =
      redisFormatCommandArgv(&formatted, static_cast<int>(argv.size()), argv.data(), lengths.data());
  if (n < 0) throw std::bad_alloc();
  out_.append(formatted, static_cast<std::size_t>(n));
  redisFreeCommand(formatted);
  start_write();
  return true;
}

void RedisConnection::close() {
  if (closed_) return;
  closed_ = true;
  ready_ = false;
  boost::system::error_code ignored;
  resolver_.cancel();
  socket_.close(ignored);
}

void RedisConnection::fail(const std::string& reason) {
  if (closed_) return;
  close();
  if (on_close_) on_close_(reason);
}

void RedisConnection::start_write() {
  if (!writing_.empty() || out_.empty() || !socket_.is_open() || closed_) return;
  writing_.swap(out_);
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      if (self->closed_) return;
                      if (ec) return self->fail("write failed: " + ec.message());
                      self->writing_.clear();
                      self->start_write();
                    });
}

void RedisConnection::start_read() {
  socket_.async_read_some(
      asio::buffer(in_), [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        if (self->closed_) return;
        if (ec)
          return self->fail(ec == asio::error::eof ? "closed by the server" : "read failed: " + ec.message());
        if (redisReaderFeed(self->reader_.get(), self->in_.data(), n) != REDIS_OK)
          return self->fail("cannot buffer a reply");
        for (;;) {
          void* raw = nullptr;
          if (redisReaderGetReply(self->reader_.get(), &raw) != REDIS_OK)
            return self->fail(std::string("bad reply from the server: ") + self->reader_->errstr);
          if (!raw) break;
          auto reply = convert(*static_cast<redisReply*>(raw));
          freeReplyObject(raw);
          self->handle_reply(std::move(reply));
          if (self->closed_) return;
        }
        self->start_read();
      });
}

void RedisConnection::handle_reply(RedisReply&& reply) {
  if (awaiting_auth_) {
    awaiting_auth_ = false;
    if (reply.type == RedisReply::Type::error) return fail("AUTH refused: " + reply.str);
    ready_ = true;
    return;
  }
  if (on_reply_) on_reply_(std::move(reply));
}

} // namespace herald::cluster
