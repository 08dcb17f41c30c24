#include "fleet.hpp"

#include "proc_stats.hpp"
#include "token.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>

namespace herald::bench {

boost::json::object Verdict::to_json() const {
  return {
      {"expected", expected}, {"missing", missing}, {"duplicates", duplicates}, {"unexpected", unexpected}};
}

Fleet::Fleet(asio::io_context& io, FleetOptions options)
    : io_(io), options_(std::move(options)), received_(options_.connections),
      scheduled_ns_(options_.connections), pacer_(io) {
  clients_.reserve(options_.connections);
  for (std::size_t i = 0; i < options_.connections; ++i) {
    const auto user = options_.first_user + i;
    users_.push_back("u" + std::to_string(user));
    // A day of validity: longer than any run, so no expiry fires while holding.
    tokens_.push_back(mint_hs256(
        options_.secret, users_.back(),
        {"d" + std::to_string(user % std::max<std::size_t>(1, options_.departments))}, {}, 86'400));
    clients_.push_back(std::make_unique<Client>(io_, *this, i));
  }
}

void Fleet::ramp(double rate, int64_t deadline_ns, std::function<void()> done, std::size_t limit) {
  to_launch_.clear();
  for (std::size_t i = 0; i < clients_.size() && to_launch_.size() < limit; ++i)
    if (clients_[i]->state() != Client::State::ready) to_launch_.push_back(i);
  failures_ = 0;
  launched_ = 0;
  pending_ = 0;
  ++generation_;
  rate_ = rate;
  ramp_start_ns_ = monotonic_ns();
  deadline_ns_ = deadline_ns;
  done_ = std::move(done);
  pace();
}

void Fleet::drop_all() {
  for (auto& c : clients_)
    c->close();
  ready_ = 0;
}

void Fleet::pace() {
  launch_more();
  if (!done_) return;
  if (monotonic_ns() >= deadline_ns_) {
    loss_reasons["ramp deadline passed"] += int64_t(to_launch_.size() - launched_ + pending_);
    auto done = std::move(done_);
    done_ = nullptr;
    return done();
  }
  pacer_.expires_after(std::chrono::milliseconds(1));
  pacer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) pace();
  });
}

void Fleet::launch_more() {
  // A start that fails at once reports the loss from inside this loop: no recursion.
  if (launching_) return;
  launching_ = true;
  std::size_t allowed = to_launch_.size();
  if (rate_ > 0) {
    const double elapsed = double(monotonic_ns() - ramp_start_ns_) / 1e9;
    allowed = std::min(allowed, std::size_t(rate_ * elapsed) + 1);
  }
  // Later generations use fresh source addresses: the previous ones' ports sit in TIME_WAIT.
  const std::size_t sources = (clients_.size() + options_.per_source - 1) / options_.per_source;
  while (launched_ < allowed && pending_ < options_.max_pending) {
    const auto i = to_launch_[launched_];
    scheduled_ns_[i] = rate_ > 0 ? ramp_start_ns_ + int64_t(double(launched_) * 1e9 / rate_) : 0;
    ++launched_;
    const auto source =
        options_.first_source + uint32_t((generation_ - 1) * sources + i / options_.per_source);
    ++pending_;
    clients_[i]->start(options_.target, asio::ip::address_v4(source), tokens_[i]);
  }
  launching_ = false;
}

void Fleet::check_done() {
  if (!done_ || launched_ < to_launch_.size() || pending_ > 0) return;
  pacer_.cancel();
  auto done = std::move(done_);
  done_ = nullptr;
  // Posted: the client that completed the ramp is still inside its own handler.
  asio::post(io_, std::move(done));
}

void Fleet::on_ready(Client& client) {
  ++ready_;
  const auto scheduled = scheduled_ns_[client.index()];
  handshake.record(client.ready_ns() - (scheduled != 0 ? scheduled : client.started_ns()));
  if (pending_ > 0) --pending_;
  launch_more();
  check_done();
}

void Fleet::on_lost(Client& client, std::string_view why) {
  // Keep reasons few: a lost connection's reason without its variable detail.
  loss_reasons[std::string(why.substr(0, 60))]++;
  if (client.ready_ns() != 0) {
    if (ready_ > 0) --ready_;
  } else {
    ++failures_;
    if (pending_ > 0) --pending_;
  }
  launch_more();
  check_done();
}

uint32_t Fleet::seq_of(const std::string& id) {
  return seqs_.try_emplace(id, uint32_t(seqs_.size())).first->second;
}

void Fleet::on_notification(Client& client, std::string_view id, std::string_view title) {
  const auto now = monotonic_ns();
  ++receipts_;
  last_receipt_ns_ = now;
  // The producer put CLOCK_MONOTONIC nanoseconds in the title: "bench <ns>".
  if (title.starts_with("bench ")) {
    int64_t sent = 0;
    const auto digits = title.substr(6);
    if (std::from_chars(digits.data(), digits.data() + digits.size(), sent).ec == std::errc{})
      delivery.record(now - sent);
  }
  received_[client.index()].push_back(seq_of(std::string(id)));
}

std::vector<char> Fleet::ready_mask() const {
  std::vector<char> mask(clients_.size());
  for (std::size_t i = 0; i < clients_.size(); ++i)
    mask[i] = is_ready(i);
  return mask;
}

void Fleet::reset_receipts() {
  for (auto& r : received_)
    r.clear();
  receipts_ = 0;
  last_receipt_ns_ = 0;
  delivery = Histogram{};
}

Verdict Fleet::verify(const Expectation& expected) {
  std::vector<std::vector<uint32_t>> want(clients_.size());
  for (const auto& [client, seq] : expected.one)
    want[client].push_back(seq);
  Verdict v;
  for (std::size_t i = 0; i < clients_.size(); ++i) {
    auto& w = want[i];
    if (expected.audience.empty() || expected.audience[i])
      w.insert(w.end(), expected.everyone.begin(), expected.everyone.end());
    std::sort(w.begin(), w.end());
    auto got = received_[i];
    std::sort(got.begin(), got.end());
    const auto unique_end = std::unique(got.begin(), got.end());
    v.duplicates += got.end() - unique_end;
    got.erase(unique_end, got.end());
    std::vector<uint32_t> diff;
    std::set_difference(w.begin(), w.end(), got.begin(), got.end(), std::back_inserter(diff));
    v.missing += int64_t(diff.size());
    diff.clear();
    std::set_difference(got.begin(), got.end(), w.begin(), w.end(), std::back_inserter(diff));
    v.unexpected += int64_t(diff.size());
    v.expected += int64_t(w.size());
  }
  return v;
}

} // namespace herald::bench
