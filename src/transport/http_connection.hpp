#pragma once
// Internal to transport: one HTTP/1.1 connection. Includes Beast; keep it out of headers
// that other layers include.

#include "transport/http_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>

namespace herald::transport {

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
public:
  // `peer` is the address accept() reported (asking the socket again costs a system call).
  HttpConnection(boost::asio::ip::tcp::socket socket, boost::asio::ip::tcp::endpoint peer,
                 HttpHandler& handler, const HttpLimits& limits);
  void start();

  // Both run on the connection's loop (Responder posts there).
  void respond(HttpResponse response);
  void set_abort_handler(std::function<void()> fn);
  boost::asio::io_context& loop();

private:
  void read_request();
  void on_header(const boost::system::error_code& ec);
  void on_read(const boost::system::error_code& ec);
  void watch_for_abort();
  void write_simple(unsigned status, std::string body);
  void close();

  boost::asio::ip::tcp::socket socket_;
  boost::asio::ip::tcp::endpoint peer_;
  HttpHandler& handler_;
  const HttpLimits& limits_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  boost::asio::steady_timer deadline_;
  std::function<void()> abort_handler_;
  bool awaiting_response_ = false;
  bool keep_alive_ = true;
  bool closed_ = false;
};

} // namespace herald::transport
