// herald-bench: a native load generator for Herald and its Node.js reference. It speaks
// Engine.IO v4 / Socket.IO v5 over WebSocket itself, holds up to 19,000 authenticated
// connections in one single-threaded process, produces notifications through the HTTP
// API and times them from API call to receipt. The result is one JSON document; the exit
// status is non-zero when a notification was lost or duplicated (unless --allow-loss).

#include "loadgen/fleet.hpp"
#include "loadgen/options.hpp"
#include "loadgen/proc_stats.hpp"
#include "loadgen/producer.hpp"
#include "loadgen/scenarios.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/json/serialize.hpp>
#include <csignal>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>

namespace hb = herald::bench;
namespace asio = boost::asio;

namespace {

boost::json::object loss_summary(const hb::Fleet& fleet) {
  boost::json::object o;
  for (const auto& [why, n] : fleet.loss_reasons)
    o[why] = n;
  return o;
}

int run(const hb::Options& options) {
  // Each connection is a file; the hard limit here is 20,000.
  const auto files = hb::raise_file_limit();
  if (files < options.connections + std::size_t(options.api_connections) + 64) {
    std::cerr << "herald-bench: " << options.connections << " connections need more than the " << files
              << " open files this process may have\n";
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  asio::io_context io(1); // one thread: no locks anywhere in the generator
  const asio::ip::tcp::endpoint server(asio::ip::make_address(options.host), options.port);
  const auto host_header = options.host + ":" + std::to_string(options.port);

  hb::FleetOptions fo;
  fo.target = hb::ServerTarget{server, host_header, options.path, options.nsp, options.ack};
  fo.secret = options.secret;
  fo.connections = options.connections;
  fo.departments = options.departments;
  fo.first_user = options.first_user;
  fo.max_pending = std::max<std::size_t>(1, options.max_pending);
  hb::Fleet fleet(io, fo);

  std::unique_ptr<hb::Producer> producer;
  if (!options.producer_token.empty() || !options.api_key.empty()) {
    hb::ProducerOptions po;
    const auto api_port = options.producer_port.value_or(options.port);
    po.server = asio::ip::tcp::endpoint(server.address(), api_port);
    po.host = options.host + ":" + std::to_string(api_port);
    po.auth_header = options.api_key.empty() ? "Authorization: Bearer " + options.producer_token
                                             : "X-Api-Key: " + options.api_key;
    // A burst is posted all at once, as a producer with a burst to send would: the server
    // may then store and deliver its broadcasts together.
    po.connections = std::max(options.api_connections, options.burst_size);
    producer = std::make_unique<hb::Producer>(io, po);
  }

  hb::Run state{io, options, fleet, producer.get(), {}, false, std::nullopt};
  const double cpu0 = hb::self_cpu_seconds();
  const auto wall0 = hb::monotonic_ns();
  std::exception_ptr failure;
  asio::co_spawn(io, hb::run_scenarios(state), [&](std::exception_ptr e) {
    failure = e;
    io.stop(); // the clients' pending reads would keep run() going forever
  });
  io.run();
  if (failure) std::rethrow_exception(failure);

  const double wall = double(hb::monotonic_ns() - wall0) / 1e9;
  const double cpu = hb::self_cpu_seconds() - cpu0;
  boost::json::object generator{{"cpu_seconds", cpu},
                                {"wall_seconds", wall},
                                {"cpu_pct_of_one_core", wall > 0 ? 100 * cpu / wall : 0.0},
                                {"processes", 1},
                                {"lost_connections", loss_summary(fleet)}};
  state.result["generator"] = std::move(generator);
  state.result["label"] = options.label;
  state.result["api_available"] = state.api_available.value_or(false);
  state.result["ok"] = !state.failed;
  const auto text = boost::json::serialize(state.result);
  if (options.out.empty()) {
    std::cout << text << "\n";
  } else {
    std::ofstream(options.out) << text << "\n";
  }
  if (state.failed) {
    std::cerr << "herald-bench: FAILED: notifications lost or duplicated, or connections missing: " << text
              << "\n";
    return options.allow_loss ? 0 : 1;
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  hb::Options options;
  try {
    options = hb::parse_options(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::cerr << "herald-bench: " << e.what() << "\n" << hb::usage();
    return 2;
  }
  try {
    return run(options);
  } catch (const std::exception& e) {
    std::cerr << "herald-bench: " << e.what() << "\n";
    return 1;
  }
}
