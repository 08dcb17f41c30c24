#include "scenarios.hpp"

#include "proc_stats.hpp"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <functional>
#include <memory>

namespace herald::bench {
namespace json = boost::json;

namespace {

constexpr auto ms_per_ns = 1e-6;

double round3(double v) { return std::round(v * 1000) / 1000; }

asio::awaitable<void> sleep_for(double seconds) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(std::chrono::nanoseconds(int64_t(seconds * 1e9)));
  co_await timer.async_wait(asio::use_awaitable);
}

// Polls `done` every millisecond for at most `timeout` seconds; true when it held.
asio::awaitable<bool> wait_until(std::function<bool()> done, double timeout) {
  const auto deadline = monotonic_ns() + int64_t(timeout * 1e9);
  while (!done()) {
    if (monotonic_ns() >= deadline) co_return false;
    co_await sleep_for(0.001);
  }
  co_return true;
}

// CPU use of the generator (this process) between two points, as % of one core.
struct CpuMeter {
  double cpu0 = self_cpu_seconds();
  int64_t wall0 = monotonic_ns();
  double percent() const {
    const double wall = double(monotonic_ns() - wall0) / 1e9;
    return wall > 0 ? round3(100 * (self_cpu_seconds() - cpu0) / wall) : 0;
  }
};

std::string title_now() { return "bench " + std::to_string(monotonic_ns()); }

std::string broadcast_body() {
  return json::serialize(json::object{{"title", title_now()},
                                      {"content", "Broadcast from herald-bench"},
                                      {"targets", {{"broadcast", true}}}});
}

struct PostResult {
  bool finished = false;
  int64_t answered_ns = 0;
  int status = 0;
  std::string id;
};

// Posts `body` and records the notification as expected by `expect` when it is created.
std::shared_ptr<PostResult> post(Run& run, std::string body, std::function<void(uint32_t seq)> expect) {
  auto result = std::make_shared<PostResult>();
  run.producer->post(std::move(body),
                     [&run, result, expect = std::move(expect)](int status, const std::string& id) {
                       result->finished = true;
                       result->answered_ns = monotonic_ns();
                       result->status = status;
                       result->id = id;
                       if (status == 201 && !id.empty()) expect(run.fleet.seq_of(id));
                     });
  return result;
}

void record_verdict(Run& run, json::object& out, const Verdict& v) {
  out["verdict"] = v.to_json();
  if (v.missing > 0 || v.duplicates > 0 || v.unexpected > 0) run.failed = true;
}

// The API exists and answers: one targeted notification to client 0, awaited and drained.
asio::awaitable<bool> probe_api(Run& run) {
  if (run.api_available) co_return *run.api_available;
  if (!run.producer) {
    run.api_available = false;
    co_return false;
  }
  const auto body =
      json::serialize(json::object{{"title", title_now()},
                                   {"content", "probe"},
                                   {"targets", {{"users", json::array{run.fleet.user_of(0)}}}}});
  auto r = post(run, body, [](uint32_t) {});
  co_await wait_until([&] { return r->finished; }, 10);
  run.api_available = r->status == 201;
  if (r->status != 201 && r->status != 404) run.failed = true;
  if (*run.api_available) co_await wait_until([&] { return run.fleet.receipts() > 0; }, 2);
  co_return *run.api_available;
}

json::object api_missing() { return {{"available", false}, {"note", "n/a (API not available)"}}; }

asio::awaitable<void> connect(Run& run) {
  const auto& o = run.options;
  json::object out;
  const auto pid = o.server_pid;
  const auto rss0 = pid ? process_rss_bytes(*pid) : std::nullopt;
  CpuMeter cpu;
  bool finished = false;
  int64_t ended = 0;
  const auto paced = std::min(o.paced_connections, o.connections);
  const auto started = monotonic_ns();
  const auto on_ramped = [&] {
    finished = true;
    ended = monotonic_ns();
  };
  run.fleet.ramp(o.connect_rate, started + int64_t(o.ramp_timeout * 1e9), on_ramped, o.connections - paced);
  co_await wait_until([&] { return finished; }, o.ramp_timeout + 5);
  const double ramp_s = double(ended - started) / 1e9;
  out["connections"] = o.connections;
  out["ramp_seconds"] = round3(ramp_s);
  out["handshakes_per_s"] = ramp_s > 0 ? std::round(double(run.fleet.ready()) / ramp_s) : 0.0;
  out["handshake_latency"] = run.fleet.handshake.summary();
  out["generator_cpu_pct_ramp"] = cpu.percent();
  auto failed = run.fleet.failures();
  std::optional<int64_t> rss_mid;
  std::size_t ready_mid = 0;
  if (paced > 0) {
    // The rest at a fixed offered rate, with the ramped connections held: latency at a load
    // the server is meant to carry, not the queueing of a closed loop at its limit.
    co_await sleep_for(0.5);
    rss_mid = pid ? process_rss_bytes(*pid) : std::nullopt;
    ready_mid = run.fleet.ready();
    run.fleet.handshake = Histogram{};
    const auto before = run.fleet.ready();
    finished = false;
    const auto paced_start = monotonic_ns();
    run.fleet.ramp(o.paced_rate, paced_start + int64_t(o.ramp_timeout * 1e9), on_ramped);
    co_await wait_until([&] { return finished; }, o.ramp_timeout + 5);
    const double paced_s = double(ended - paced_start) / 1e9;
    out["paced"] = json::object{
        {"connections", paced},
        {"offered_per_s", o.paced_rate},
        {"achieved_per_s", paced_s > 0 ? std::round(double(run.fleet.ready() - before) / paced_s) : 0.0},
        {"handshake_latency", run.fleet.handshake.summary()}};
    failed += run.fleet.failures();
  }
  out["ready"] = run.fleet.ready();
  out["failed"] = failed;
  if (run.fleet.ready() < o.connections) run.failed = true;

  co_await sleep_for(1); // let the last handshakes' transient allocations settle
  const auto rss1 = pid ? process_rss_bytes(*pid) : std::nullopt;
  const auto server_cpu0 = pid ? process_cpu_seconds(*pid) : std::nullopt;
  CpuMeter hold_cpu;
  const auto hold_start = monotonic_ns();
  co_await sleep_for(o.hold_seconds);
  const double held = double(monotonic_ns() - hold_start) / 1e9;
  const auto server_cpu1 = pid ? process_cpu_seconds(*pid) : std::nullopt;
  const auto rss2 = pid ? process_rss_bytes(*pid) : std::nullopt;
  out["hold_seconds"] = round3(held);
  out["ready_after_hold"] = run.fleet.ready();
  out["generator_cpu_pct_hold"] = hold_cpu.percent();
  if (rss0 && rss1 && rss2) {
    out["server_rss_before"] = *rss0;
    out["server_rss_after_ramp"] = *rss1;
    out["server_rss_after_hold"] = *rss2;
    const auto n = std::max<std::size_t>(1, run.fleet.ready());
    out["server_bytes_per_connection"] = std::round(double(*rss2 - *rss0) / double(n));
    // The paced connections alone: what one more connection costs, without the one-time
    // costs of the first ones (a hash table's first buckets, the store's page cache).
    if (rss_mid && run.fleet.ready() > ready_mid)
      out["server_bytes_per_added_connection"] =
          std::round(double(*rss2 - *rss_mid) / double(run.fleet.ready() - ready_mid));
  }
  if (server_cpu0 && server_cpu1)
    out["server_cpu_pct_idle"] = round3(100 * (*server_cpu1 - *server_cpu0) / held);
  if (run.fleet.ready() < o.connections) run.failed = true;
  run.result["connect"] = std::move(out);
}

asio::awaitable<void> targeted(Run& run) {
  if (!co_await probe_api(run)) {
    run.result["targeted"] = api_missing();
    co_return;
  }
  const auto& o = run.options;
  run.fleet.reset_receipts();
  run.producer->call_latency = Histogram{};
  const auto created0 = run.producer->created, failed0 = run.producer->failed;
  // Shared: an answer that comes after the scenario gave up must not write to a dead frame.
  auto expected = std::make_shared<Expectation>();
  CpuMeter cpu;
  const auto start = monotonic_ns();
  const auto total = std::size_t(o.notify_rate * o.notify_seconds);
  std::size_t sent = 0;
  std::size_t next_client = 0;
  // Paced by the schedule, not by answers: a slow server gets the same offered load, and
  // the title carries the scheduled time, so queueing in the producer counts as latency.
  while (sent < total && monotonic_ns() - start < int64_t((o.notify_seconds + 30) * 1e9)) {
    const auto due = std::min(total, std::size_t(double(monotonic_ns() - start) / 1e9 * o.notify_rate) + 1);
    for (; sent < due; ++sent) {
      // Round robin over the clients that are connected: one that never came up is
      // already counted as a failed connection, not as lost notifications.
      auto client = next_client++ % run.fleet.size();
      for (std::size_t tries = 0; tries < run.fleet.size() && !run.fleet.is_ready(client); ++tries)
        client = next_client++ % run.fleet.size();
      const auto body =
          json::serialize(json::object{{"title", title_now()},
                                       {"content", "Targeted notification from herald-bench"},
                                       {"targets", {{"users", json::array{run.fleet.user_of(client)}}}}});
      post(run, body, [expected, client](uint32_t seq) { expected->one.emplace_back(client, seq); });
    }
    co_await sleep_for(0.001);
  }
  const double sending_s = double(monotonic_ns() - start) / 1e9;
  co_await wait_until([&] { return run.producer->outstanding() == 0; }, o.drain_seconds);
  co_await wait_until([&] { return run.fleet.receipts() >= int64_t(expected->one.size()); }, o.drain_seconds);
  json::object out;
  out["offered_rate"] = o.notify_rate;
  out["sent"] = sent;
  out["achieved_rate"] = std::round(double(sent) / sending_s);
  out["created"] = run.producer->created - created0;
  out["api_errors"] = run.producer->failed - failed0;
  out["api_call_latency"] = run.producer->call_latency.summary();
  out["delivery_latency"] = run.fleet.delivery.summary();
  out["generator_cpu_pct"] = cpu.percent();
  record_verdict(run, out, run.fleet.verify(*expected));
  if (run.producer->failed > failed0) run.failed = true;
  run.result["targeted"] = std::move(out);
}

// One broadcast; how fast it reached everyone.
asio::awaitable<json::object> one_broadcast(Run& run) {
  run.fleet.reset_receipts();
  // Shared: an answer that comes after the scenario gave up must not write to a dead frame.
  auto expected = std::make_shared<Expectation>();
  expected->audience = run.fleet.ready_mask();
  const auto start = monotonic_ns();
  auto r = post(run, broadcast_body(), [expected](uint32_t seq) { expected->everyone.push_back(seq); });
  const auto want = int64_t(run.fleet.ready());
  co_await wait_until([&] { return r->finished && run.fleet.receipts() >= want; }, run.options.drain_seconds);
  json::object out;
  const double span_s = double(run.fleet.last_receipt_ns() - start) / 1e9;
  out["status"] = r->status;
  out["recipients"] = run.fleet.receipts();
  out["last_recipient_ms"] = round3(span_s * 1e3);
  out["delivered_per_s"] = span_s > 0 ? std::round(double(run.fleet.receipts()) / span_s) : 0.0;
  out["delivery_latency"] = run.fleet.delivery.summary();
  record_verdict(run, out, run.fleet.verify(*expected));
  co_return out;
}

double median_of(const json::array& reps, std::string_view key) {
  std::vector<double> v;
  for (const auto& r : reps)
    v.push_back(r.at(key).to_number<double>());
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

asio::awaitable<void> broadcast(Run& run) {
  if (!co_await probe_api(run)) {
    run.result["broadcast"] = api_missing();
    co_return;
  }
  CpuMeter cpu;
  json::array reps;
  for (int i = 0; i < std::max(1, run.options.broadcast_repeat); ++i) {
    if (i > 0) co_await sleep_for(1);
    reps.push_back(co_await one_broadcast(run));
  }
  json::object out;
  out["recipients_expected"] = run.fleet.ready();
  out["median_delivered_per_s"] = median_of(reps, "delivered_per_s");
  out["median_last_recipient_ms"] = median_of(reps, "last_recipient_ms");
  out["generator_cpu_pct"] = cpu.percent();
  out["repetitions"] = std::move(reps);
  run.result["broadcast"] = std::move(out);
}

asio::awaitable<void> burst(Run& run) {
  if (!co_await probe_api(run)) {
    run.result["burst"] = api_missing();
    co_return;
  }
  run.fleet.reset_receipts();
  // Shared: an answer that comes after the scenario gave up must not write to a dead frame.
  auto expected = std::make_shared<Expectation>();
  CpuMeter cpu;
  expected->audience = run.fleet.ready_mask();
  const auto k = std::max(1, run.options.burst_size);
  const auto start = monotonic_ns();
  std::vector<std::shared_ptr<PostResult>> posts;
  for (int i = 0; i < k; ++i)
    posts.push_back(
        post(run, broadcast_body(), [expected](uint32_t seq) { expected->everyone.push_back(seq); }));
  const auto want = int64_t(run.fleet.ready()) * k;
  co_await wait_until([&] { return run.fleet.receipts() >= want; }, run.options.drain_seconds + k);
  co_await wait_until([&] { return run.producer->outstanding() == 0; }, run.options.drain_seconds);
  const double span_s = double(run.fleet.last_receipt_ns() - start) / 1e9;
  // Each answer follows the commit of its notification and recipient records, so the
  // last answer bounds how fast the store took them while the server was delivering.
  int64_t last_answer_ns = start;
  bool all_created = true;
  for (const auto& p : posts) {
    last_answer_ns = std::max(last_answer_ns, p->answered_ns);
    all_created = all_created && p->finished && p->status == 201;
  }
  const double stored_s = double(last_answer_ns - start) / 1e9;
  json::object out;
  out["broadcasts"] = k;
  out["records_stored_per_s"] = all_created && stored_s > 0 ? std::round(double(want) / stored_s) : 0.0;
  out["recipients_expected"] = want;
  out["delivered"] = run.fleet.receipts();
  out["seconds"] = round3(span_s);
  out["delivered_per_s"] = span_s > 0 ? std::round(double(run.fleet.receipts()) / span_s) : 0.0;
  out["delivery_latency"] = run.fleet.delivery.summary();
  out["generator_cpu_pct"] = cpu.percent();
  record_verdict(run, out, run.fleet.verify(*expected));
  run.result["burst"] = std::move(out);
}

asio::awaitable<void> churn(Run& run) {
  const auto& o = run.options;
  json::object out;
  CpuMeter cpu;
  const auto before = run.fleet.ready();
  const auto start = monotonic_ns();
  run.fleet.drop_all();
  bool finished = false;
  int64_t ended = 0;
  run.fleet.ramp(0, start + int64_t(o.ramp_timeout * 1e9), [&] {
    finished = true;
    ended = monotonic_ns();
  });
  co_await wait_until([&] { return finished; }, o.ramp_timeout + 5);
  const double recovery_s = double(ended - start) / 1e9;
  out["dropped"] = before;
  out["reconnected"] = run.fleet.ready();
  out["recovery_seconds"] = round3(recovery_s);
  out["reconnects_per_s"] = recovery_s > 0 ? std::round(double(run.fleet.ready()) / recovery_s) : 0.0;
  out["generator_cpu_pct"] = cpu.percent();
  if (run.fleet.ready() < before) run.failed = true;
  // Nothing lost: after the storm every client is in its rooms again and gets a broadcast once.
  if (co_await probe_api(run)) {
    co_await sleep_for(0.5);
    out["broadcast_after"] = co_await one_broadcast(run);
  } else {
    out["broadcast_after"] = api_missing();
  }
  run.result["churn"] = std::move(out);
}

} // namespace

asio::awaitable<void> run_scenarios(Run& run) {
  co_await connect(run);
  for (const auto& s : run.options.scenarios) {
    if (s == "targeted")
      co_await targeted(run);
    else if (s == "broadcast")
      co_await broadcast(run);
    else if (s == "burst")
      co_await burst(run);
    else if (s == "churn")
      co_await churn(run);
  }
}

} // namespace herald::bench
