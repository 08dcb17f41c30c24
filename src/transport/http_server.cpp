#include "transport/http_server.hpp"

#include "transport/http_connection.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

namespace herald::transport {
namespace asio = boost::asio;
using asio::ip::tcp;

PendingUpgrade::PendingUpgrade(int fd, std::string client_key, WebSocketLimits limits)
    : fd_(fd), client_key_(std::move(client_key)), limits_(limits) {}

PendingUpgrade::PendingUpgrade(PendingUpgrade&& other) noexcept
    : fd_(other.fd_), client_key_(std::move(other.client_key_)), limits_(other.limits_) {
  other.fd_ = -1;
}

PendingUpgrade::~PendingUpgrade() {
  if (fd_ >= 0) ::close(fd_);
}

std::shared_ptr<WebSocket> PendingUpgrade::accept(asio::io_context& loop, WebSocketHandler* handler) {
  if (fd_ < 0) return nullptr;
  auto ws = std::make_shared<WebSocket>(loop, fd_, limits_);
  fd_ = -1;
  std::string response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Accept: " +
                         ws::accept_key(client_key_) + "\r\n\r\n";
  ws->start(std::move(response), handler);
  return ws;
}

void PendingUpgrade::reject(unsigned status, std::string_view body) {
  if (fd_ < 0) return;
  std::string reason = status == 400 ? "Bad Request" : status == 403 ? "Forbidden" : "Error";
  std::string response = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                         "\r\nConnection: close\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                         "Content-Length: " +
                         std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
  // Best effort: the socket buffer is empty, so a small answer fits without blocking.
  [[maybe_unused]] auto n = ::send(fd_, response.data(), response.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  ::shutdown(fd_, SHUT_RDWR);
  ::close(fd_);
  fd_ = -1;
}

struct HttpServer::Acceptor {
  explicit Acceptor(asio::io_context& loop) : acceptor(loop), pause(loop) {}
  tcp::acceptor acceptor;
  tcp::endpoint peer;            // of the accept in flight (one at a time)
  asio::steady_timer pause;      // between attempts while the process is out of descriptors
  uint64_t refused_in_a_row = 0; // accepts that failed for want of descriptors
};

namespace {
// The listening socket stays readable while connections wait in its backlog, so accepting
// again at once would spin a core for as long as no descriptor frees up.
constexpr std::chrono::milliseconds kOutOfDescriptorsPause{100};

// accept()'s errno, compared as such: comparing with a portable error condition goes
// through a virtual call on Boost's generic category, which UBSan's vptr check rejects.
bool out_of_descriptors(const boost::system::error_code& ec) {
  if (ec.category() != boost::system::system_category()) return false;
  const int e = ec.value();
  return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}
} // namespace

HttpServer::HttpServer(core::LoopGroup& loops, HttpHandler& handler, HttpLimits limits)
    : loops_(loops), handler_(handler), limits_(limits) {}

HttpServer::~HttpServer() = default;

uint16_t HttpServer::listen(const std::string& host, uint16_t port) {
  const auto address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host);
  if (port != 0) {
    // SO_REUSEPORT would let us share the port with another process without a word:
    // first make sure nobody else holds it.
    tcp::acceptor probe(loops_.loop(0));
    tcp::endpoint endpoint(address, port);
    probe.open(endpoint.protocol());
    // reuse_address: connections of a previous run in TIME_WAIT must not block a restart;
    // a live listener still conflicts, since the probe does not set SO_REUSEPORT.
    probe.set_option(tcp::acceptor::reuse_address(true));
    probe.bind(endpoint); // throws "address already in use"
  }
  for (std::size_t i = 0; i < loops_.size(); ++i) {
    auto acc = std::make_unique<Acceptor>(loops_.loop(i));
    tcp::endpoint endpoint(address, port);
    acc->acceptor.open(endpoint.protocol());
    acc->acceptor.set_option(tcp::acceptor::reuse_address(true));
    const int one = 1;
    // Every loop gets its own acceptor on the same port; the kernel spreads connections.
    ::setsockopt(acc->acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    acc->acceptor.bind(endpoint);
    acc->acceptor.listen(4096);
    if (port == 0) port = acc->acceptor.local_endpoint().port();
    acceptors_.push_back(std::move(acc));
  }
  for (auto& acc : acceptors_) {
    auto* a = acc.get();
    asio::post(a->acceptor.get_executor(), [this, a] { accept_next(*a); });
  }
  return port;
}

void HttpServer::accept_next(Acceptor& acc) {
  acc.acceptor.async_accept(acc.peer, [this, &acc](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acc.acceptor.is_open()) return;
    if (ec && out_of_descriptors(ec)) {
      // Logged once per spell; the connection waits in the backlog meanwhile.
      if (acc.refused_in_a_row++ == 0)
        spdlog::warn("accept: {}; trying again every {} ms", ec.message(), kOutOfDescriptorsPause.count());
      acc.pause.expires_after(kOutOfDescriptorsPause);
      acc.pause.async_wait([this, &acc](const boost::system::error_code& wait_ec) {
        if (!wait_ec && acc.acceptor.is_open()) accept_next(acc);
      });
      return;
    }
    if (ec) {
      spdlog::warn("accept: {}", ec.message()); // this connection only (aborted by its peer, say)
    } else {
      if (acc.refused_in_a_row > 0) {
        spdlog::info("accept: descriptors available again after {} refused attempts", acc.refused_in_a_row);
        acc.refused_in_a_row = 0;
      }
      std::make_shared<HttpConnection>(std::move(socket), acc.peer, handler_, limits_)->start();
    }
    accept_next(acc);
  });
}

void HttpServer::stop() {
  for (auto& acc : acceptors_) {
    auto* a = acc.get();
    asio::post(a->acceptor.get_executor(), [a] {
      boost::system::error_code ec;
      a->acceptor.close(ec);
      a->pause.cancel();
    });
  }
}

} // namespace herald::transport
