#pragma once
// N clients of one process: their tokens and source addresses, the ramp that connects
// them at a given rate, and the books of what each received (latency, loss, duplicates).
// Client i is user `u<i>` in department `d<i % departments>`.

#include "client.hpp"
#include "histogram.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace herald::bench {

struct FleetOptions {
  ServerTarget target;
  std::string secret;
  std::size_t connections = 0;
  std::size_t departments = 10;
  std::size_t first_user = 0;         // user index of client 0 (several processes share a run)
  uint32_t first_source = 0x7f000002; // 127.0.0.2
  // Of the ~28,000 ephemeral ports of one source address, few: the kernel finds a free
  // port for connect() in a sparsely used range quickly, and slowly in a crowded one.
  std::size_t per_source = 1'000;
  std::size_t max_pending = 1'000; // handshakes in flight at once, so the ramp does not flood the backlog
};

// What the run expected each client to receive, to count what went missing.
struct Expectation {
  std::vector<uint32_t> everyone;                    // seqs every client must get (broadcasts)
  std::vector<std::pair<std::size_t, uint32_t>> one; // (client, seq) pairs (targeted)
  std::vector<char> audience;                        // who `everyone` means: clients ready at post time
};

struct Verdict {
  int64_t expected = 0;
  int64_t missing = 0;
  int64_t duplicates = 0;
  int64_t unexpected = 0;
  boost::json::object to_json() const;
};

class Fleet final : public ClientObserver {
public:
  Fleet(asio::io_context& io, FleetOptions options);

  // Connects every client not ready (at most `limit` of them), `rate` per second (0: as
  // fast as max_pending allows), from source addresses of the next generation; calls
  // `done` once all are ready or failed, or at `deadline` (nanoseconds, monotonic). At a
  // rate, handshake latency counts from each client's scheduled start, so that a server
  // that falls behind the rate shows it (no coordinated omission).
  void ramp(double rate, int64_t deadline_ns, std::function<void()> done,
            std::size_t limit = std::size_t(-1));
  // Closes every client from the client side (churn).
  void drop_all();

  std::size_t size() const { return clients_.size(); }
  std::size_t ready() const { return ready_; }
  std::size_t failures() const { return failures_; }
  const std::string& user_of(std::size_t client) const { return users_[client]; }
  bool is_ready(std::size_t client) const { return clients_[client]->state() == Client::State::ready; }
  // Which clients are ready now: the audience of a broadcast posted now.
  std::vector<char> ready_mask() const;

  // The seq (dense number) of notification `id`, assigned on first sight.
  uint32_t seq_of(const std::string& id);
  int64_t receipts() const { return receipts_; }
  int64_t last_receipt_ns() const { return last_receipt_ns_; }
  // Forgets receipts and latencies (between scenarios); seqs stay.
  void reset_receipts();
  Verdict verify(const Expectation& expected);

  Histogram handshake;                                   // TCP connect -> `authenticated`
  Histogram delivery;                                    // timestamp in the title -> receipt
  std::unordered_map<std::string, int64_t> loss_reasons; // why clients were lost

private:
  void on_ready(Client& client) override;
  void on_notification(Client& client, std::string_view id, std::string_view title) override;
  void on_lost(Client& client, std::string_view why) override;
  void pace();
  void launch_more();
  void check_done();

  asio::io_context& io_;
  FleetOptions options_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<std::string> users_;
  std::vector<std::string> tokens_;
  std::vector<std::vector<uint32_t>> received_;
  std::vector<int64_t> scheduled_ns_; // per client: when a paced ramp meant to start it
  std::unordered_map<std::string, uint32_t> seqs_;
  std::size_t ready_ = 0;
  std::size_t failures_ = 0;
  int64_t receipts_ = 0;
  int64_t last_receipt_ns_ = 0;

  // The ramp in progress.
  asio::steady_timer pacer_;
  std::vector<std::size_t> to_launch_;
  std::size_t launched_ = 0;
  std::size_t pending_ = 0;
  unsigned generation_ = 0;
  bool launching_ = false;
  double rate_ = 0;
  int64_t ramp_start_ns_ = 0;
  int64_t deadline_ns_ = 0;
  std::function<void()> done_;
};

} // namespace herald::bench
