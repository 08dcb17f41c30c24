#include "producer.hpp"

#include "proc_stats.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <charconv>
#include <strings.h>

namespace herald::bench {

// One keep-alive connection with at most one request in flight.
class Producer::Connection {
public:
  Connection(asio::io_context& io, Producer& owner) : socket_(io), owner_(owner) {}

  bool busy() const { return current_.has_value(); }

  void send(Request request) {
    current_ = std::move(request);
    wire_ = "POST " + owner_.options_.path + " HTTP/1.1\r\nHost: " + owner_.options_.host + "\r\n" +
            owner_.options_.auth_header +
            "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(current_->body.size()) +
            "\r\n\r\n" + current_->body;
    if (!socket_.is_open()) {
      socket_.async_connect(owner_.options_.server, [this](const boost::system::error_code& ec) {
        if (ec) return fail("connect: " + ec.message());
        socket_.set_option(tcp::no_delay(true));
        write();
      });
      return;
    }
    write();
  }

private:
  void write() {
    asio::async_write(socket_, asio::buffer(wire_), [this](const boost::system::error_code& ec, std::size_t) {
      if (ec) return fail("write: " + ec.message());
      read();
    });
  }

  void read() {
    if (parse()) return;
    socket_.async_read_some(asio::buffer(chunk_), [this](const boost::system::error_code& ec, std::size_t n) {
      if (ec) return fail("read: " + ec.message());
      in_.append(chunk_.data(), n);
      read();
    });
  }

  // Completes the request when a whole response is buffered; false when more is needed.
  bool parse() {
    const auto end = in_.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    const std::string_view head(in_.data(), end + 2);
    int status = 0;
    if (head.size() > 12) std::from_chars(head.data() + 9, head.data() + 12, status);
    std::size_t length = 0;
    bool close = false;
    std::size_t pos = 0;
    while ((pos = head.find("\r\n", pos)) != std::string_view::npos && pos + 2 < head.size()) {
      pos += 2;
      const auto line = head.substr(pos, head.find("\r\n", pos) - pos);
      if (line.size() > 15 && strncasecmp(line.data(), "content-length:", 15) == 0) {
        auto v = line.substr(15);
        while (!v.empty() && v.front() == ' ')
          v.remove_prefix(1);
        std::from_chars(v.data(), v.data() + v.size(), length);
      } else if (line.size() > 11 && strncasecmp(line.data(), "connection:", 11) == 0 &&
                 line.find("close") != std::string_view::npos) {
        close = true;
      }
    }
    if (in_.size() < end + 4 + length) return false;
    const std::string body = in_.substr(end + 4, length);
    in_.erase(0, end + 4 + length);
    if (close) reset();
    auto request = std::move(*current_);
    current_.reset();
    owner_.finish(request, status, body);
    return true;
  }

  void fail(const std::string& why) {
    if (!current_) return;
    if (owner_.failed == 0) fprintf(stderr, "producer: %s\n", why.c_str());
    reset();
    auto request = std::move(*current_);
    current_.reset();
    owner_.finish(request, 0, {});
  }

  void reset() {
    boost::system::error_code ignored;
    socket_.close(ignored);
    in_.clear();
  }

  tcp::socket socket_;
  Producer& owner_;
  std::optional<Request> current_;
  std::string wire_;
  std::string in_;
  std::array<char, 16 * 1024> chunk_{};
};

Producer::Producer(asio::io_context& io, ProducerOptions options) : io_(io), options_(std::move(options)) {
  for (int i = 0; i < options_.connections; ++i)
    connections_.push_back(std::make_unique<Connection>(io_, *this));
}

Producer::~Producer() = default;

void Producer::post(std::string body, Done done) {
  if (queue_.size() >= options_.max_queue) {
    ++failed;
    return done(0, {});
  }
  ++outstanding_;
  queue_.push_back(Request{std::move(body), std::move(done), monotonic_ns()});
  dispatch();
}

void Producer::dispatch() {
  for (auto& c : connections_) {
    if (queue_.empty()) return;
    if (c->busy()) continue;
    auto request = std::move(queue_.front());
    queue_.pop_front();
    c->send(std::move(request));
  }
}

void Producer::finish(Request& request, int status, const std::string& response_body) {
  --outstanding_;
  call_latency.record(monotonic_ns() - request.queued_ns);
  std::string id;
  if (status == 201) {
    ++created;
    boost::system::error_code ec;
    const auto v = boost::json::parse(response_body, ec);
    if (const auto* o = v.if_object(); !ec && o)
      if (const auto* i = o->if_contains("id")) {
        if (i->is_string())
          id = std::string(i->get_string());
        else if (i->is_int64())
          id = std::to_string(i->get_int64());
        else if (i->is_uint64())
          id = std::to_string(i->get_uint64());
      }
  } else if (status == 404) {
    ++not_found;
  } else {
    if (failed == 0) fprintf(stderr, "producer: HTTP %d: %s\n", status, response_body.substr(0, 200).c_str());
    ++failed;
  }
  request.done(status, id);
  dispatch();
}

} // namespace herald::bench
