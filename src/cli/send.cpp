// herald send: one POST /api/v1/notifications to the configured server, as a producer.

#include "cli/commands.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/serialize.hpp>
#include <iostream>

namespace herald::cli {
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

struct Target {
  std::string host;
  std::string port;
};

// "http://host:port" from --url, else the server's own listen address.
Target target_of(const app::Config& config, const std::string& url) {
  if (url.empty()) {
    auto host = config.server.listen_host;
    if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
    if (host == "::") host = "::1";
    return {host, std::to_string(config.server.listen_port)};
  }
  std::string_view rest = url;
  if (rest.starts_with("http://"))
    rest.remove_prefix(7);
  else if (rest.find("://") != std::string_view::npos)
    throw std::runtime_error("--url: only http:// is supported");
  rest = rest.substr(0, rest.find('/'));
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos) return {std::string(rest), "80"};
  return {std::string(rest.substr(0, colon)), std::string(rest.substr(colon + 1))};
}

} // namespace

int send(const app::Config& config, const SendOptions& options) {
  if (options.users.empty() && options.departments.empty() && !options.broadcast) {
    std::cerr << "herald send: name recipients with --user, --dept or --broadcast\n";
    return 2;
  }
  json::object targets;
  if (!options.users.empty()) targets["users"] = json::array(options.users.begin(), options.users.end());
  if (!options.departments.empty())
    targets["departments"] = json::array(options.departments.begin(), options.departments.end());
  if (options.broadcast) targets["broadcast"] = true;
  json::object body{{"title", options.title}, {"content", options.content}, {"targets", std::move(targets)}};
  if (!options.type.empty()) body["type"] = options.type;

  const auto target = target_of(config, options.url);
  http::request<http::string_body> req{http::verb::post, "/api/v1/notifications", 11};
  req.set(http::field::host, target.host + ":" + target.port);
  req.set(http::field::content_type, "application/json");
  if (!config.auth.api_keys.empty()) {
    req.set("X-Api-Key", config.auth.api_keys.front());
  } else {
    TokenOptions service;
    service.user = "herald-cli";
    service.roles = {"service"};
    service.username = "herald-cli";
    service.ttl = "5m";
    req.set(http::field::authorization, "Bearer " + mint_token(config, service));
  }
  req.body() = json::serialize(body);
  req.prepare_payload();

  boost::asio::io_context io;
  boost::asio::ip::tcp::resolver resolver(io);
  boost::asio::ip::tcp::socket socket(io);
  boost::system::error_code ec;
  boost::asio::connect(socket, resolver.resolve(target.host, target.port, ec), ec);
  if (ec) {
    std::cerr << "herald send: cannot reach " << target.host << ":" << target.port << ": " << ec.message()
              << "\n";
    return 1;
  }
  http::write(socket, req);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  std::cout << res.body() << "\n";
  return res.result_int() == 201 ? 0 : 1;
}

} // namespace herald::cli
