#pragma once
// The producer side of a run: `POST /api/v1/notifications` over a few HTTP/1.1 keep-alive
// connections, one request in flight on each, the rest queued (bounded). It answers
// with the status and the notification id, and times each call.

#include "histogram.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace herald::bench {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct ProducerOptions {
  tcp::endpoint server;
  std::string host;
  std::string auth_header; // e.g. "Authorization: Bearer <JWT>" or "X-Api-Key: <key>"
  std::string path = "/api/v1/notifications";
  int connections = 4;
  std::size_t max_queue = 100'000; // past this, post() fails at once (status 0)
};

class Producer {
public:
  // `status` is the HTTP status (0: no answer), `id` the created notification's id.
  using Done = std::function<void(int status, const std::string& id)>;

  Producer(asio::io_context& io, ProducerOptions options);
  ~Producer();

  // Sends `body` as the next request on a free connection, or queues it.
  void post(std::string body, Done done);
  std::size_t outstanding() const { return outstanding_; }

  Histogram call_latency; // request queued -> response read
  int64_t created = 0;    // 201 answers
  int64_t not_found = 0;  // 404: the API does not exist (yet)
  int64_t failed = 0;     // any other answer, or none

private:
  struct Request {
    std::string body;
    Done done;
    int64_t queued_ns = 0;
  };
  class Connection;
  void dispatch();
  void finish(Request& request, int status, const std::string& response_body);

  asio::io_context& io_;
  ProducerOptions options_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::deque<Request> queue_;
  std::size_t outstanding_ = 0;
};

} // namespace herald::bench
