#include "transport/http_connection.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

namespace herald::transport {
namespace asio = boost::asio;
namespace http = boost::beast::http;

Responder::Responder(std::shared_ptr<HttpConnection> connection) : connection_(std::move(connection)) {}

Responder::~Responder() {
  if (connection_) send(HttpResponse::text(500, "no response\n"));
}

void Responder::send(HttpResponse response) {
  if (!connection_) return;
  auto conn = std::move(connection_);
  connection_.reset();
  for (auto& h : extra_headers_)
    response.headers.push_back(std::move(h));
  extra_headers_.clear();
  auto& loop = conn->loop();
  asio::post(loop, [conn = std::move(conn), response = std::move(response)]() mutable {
    conn->respond(std::move(response));
  });
}

void Responder::on_abort(std::function<void()> fn) {
  if (!connection_) return;
  asio::post(connection_->loop(),
             [conn = connection_, fn = std::move(fn)]() mutable { conn->set_abort_handler(std::move(fn)); });
}

HttpConnection::HttpConnection(asio::ip::tcp::socket socket, asio::ip::tcp::endpoint peer,
                               HttpHandler& handler, const HttpLimits& limits)
    : socket_(std::move(socket)), peer_(peer), handler_(handler), limits_(limits),
      deadline_(socket_.get_executor()) {}

asio::io_context& HttpConnection::loop() {
  return static_cast<asio::io_context&>(socket_.get_executor().context());
}

void HttpConnection::start() {
  boost::system::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  read_request();
}

void HttpConnection::read_request() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(limits_.max_header_bytes));
  parser_->body_limit(limits_.max_body_bytes);
  deadline_.expires_after(limits_.request_timeout);
  deadline_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->close();
  });
  http::async_read_header(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) { self->on_header(ec); });
}

// A client that sent `Expect: 100-continue` (curl does for bodies over 1 KB) waits for a
// 100 Continue before the body; answer it rather than let the client time out.
void HttpConnection::on_header(const boost::system::error_code& ec) {
  if (ec || parser_->is_done()) return on_read(ec);
  auto read_body = [self = shared_from_this()] {
    http::async_read(self->socket_, self->buffer_, *self->parser_,
                     [self](const boost::system::error_code& ec, std::size_t) { self->on_read(ec); });
  };
  if (!iequals(parser_->get()[http::field::expect], "100-continue")) return read_body();
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  boost::asio::async_write(
      socket_, boost::asio::buffer(kContinue.data(), kContinue.size()),
      [self = shared_from_this(), read_body](const boost::system::error_code& ec, std::size_t) {
        if (ec) return self->close();
        read_body();
      });
}

void HttpConnection::on_read(const boost::system::error_code& ec) {
  deadline_.cancel();
  if (closed_) return;
  if (ec == http::error::body_limit)
    return write_simple(
        413, R"({"error":{"code":"PAYLOAD_TOO_LARGE","message":"the body exceeds the size limit"}})");
  if (ec == http::error::header_limit) {
    // A request line the parser never finished: the URL alone was over the limit.
    if (parser_->get().target().empty())
      return write_simple(414,
                          R"({"error":{"code":"URI_TOO_LONG","message":"the request URL is too long"}})");
    return write_simple(
        431, R"({"error":{"code":"HEADERS_TOO_LARGE","message":"request header fields too large"}})");
  }
  if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::error::operation_aborted)
    return close();
  if (ec) return write_simple(400, R"({"error":{"code":"BAD_REQUEST","message":"malformed HTTP request"}})");

  auto msg = parser_->release();
  parser_.reset();
  HttpRequest req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  const auto q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) req.query = req.target.substr(q + 1);
  for (const auto& field : msg)
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  req.body = std::move(msg.body());
  req.keep_alive = msg.keep_alive();
  keep_alive_ = req.keep_alive;
  req.remote_address = peer_.address().to_string();

  if (req.method == "GET" && iequals(req.header("Upgrade"), "websocket")) {
    const auto key = std::string(req.header("Sec-WebSocket-Key"));
    if (req.header("Sec-WebSocket-Version") != "13" || key.empty())
      return write_simple(400, R"({"error":{"code":"BAD_REQUEST","message":"bad WebSocket handshake"}})");
    closed_ = true; // the socket leaves this object
    boost::system::error_code release_ec;
    const int fd = socket_.release(release_ec);
    if (release_ec) return;
    handler_.on_upgrade(std::move(req), PendingUpgrade(fd, key, limits_.websocket));
    return;
  }

  awaiting_response_ = true;
  handler_.on_request(std::move(req), Responder(shared_from_this()));
  if (awaiting_response_) watch_for_abort();
}

// While a response is pending (a long-poll), notice a client that hangs up.
void HttpConnection::watch_for_abort() {
  socket_.async_wait(
      asio::socket_base::wait_read, [self = shared_from_this()](const boost::system::error_code& ec) {
        if (ec || !self->awaiting_response_ || self->closed_) return;
        char byte;
        const auto n = ::recv(self->socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n > 0) return; // a pipelined request: read it after the response
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return self->watch_for_abort();
        self->close();
      });
}

void HttpConnection::set_abort_handler(std::function<void()> fn) {
  if (closed_ && awaiting_response_) {
    fn();
    return;
  }
  abort_handler_ = std::move(fn);
}

void HttpConnection::respond(HttpResponse response) {
  if (!awaiting_response_) return;
  awaiting_response_ = false;
  abort_handler_ = nullptr;
  if (closed_) return;
  boost::system::error_code ec;
  socket_.cancel(ec); // ends the abort watch
  auto res = std::make_shared<http::response<http::string_body>>();
  res->result(static_cast<http::status>(response.status));
  res->version(11);
  if (!response.content_type.empty()) res->set(http::field::content_type, response.content_type);
  for (auto& [k, v] : response.headers)
    res->insert(k, v);
  res->body() = std::move(response.body);
  res->keep_alive(keep_alive_);
  res->prepare_payload();
  http::async_write(socket_, *res,
                    [self = shared_from_this(), res](const boost::system::error_code& ec, std::size_t) {
                      if (ec || !self->keep_alive_) return self->close();
                      self->read_request();
                    });
}

void HttpConnection::write_simple(unsigned status, std::string json_body) {
  keep_alive_ = false;
  awaiting_response_ = true;
  respond(HttpResponse::json(status, std::move(json_body)));
}

void HttpConnection::close() {
  if (closed_) return;
  closed_ = true;
  deadline_.cancel();
  boost::system::error_code ec;
  socket_.shutdown(asio::socket_base::shutdown_both, ec);
  socket_.close(ec);
  if (awaiting_response_ && abort_handler_) {
    auto fn = std::move(abort_handler_);
    abort_handler_ = nullptr;
    fn();
  }
}

} // namespace herald::transport
