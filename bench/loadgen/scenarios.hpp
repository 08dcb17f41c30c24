#pragma once
// The scenarios of a run, in order on one event loop: connect (ramp, then hold idle),
// then any of targeted, broadcast, burst, churn. Each adds its figures to the result.

#include "fleet.hpp"
#include "options.hpp"
#include "producer.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <optional>

namespace herald::bench {

struct Run {
  asio::io_context& io;
  const Options& options;
  Fleet& fleet;
  Producer* producer = nullptr; // null without producer credentials
  boost::json::object result;
  bool failed = false; // loss, duplicates or connections that never came up
  std::optional<bool> api_available;
};

asio::awaitable<void> run_scenarios(Run& run);

} // namespace herald::bench
