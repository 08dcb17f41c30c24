#pragma once

#include "core/clock.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace herald::engineio {

struct ServerOptions {
  std::string path = "/engine.io/";
  std::chrono::milliseconds ping_interval{25'000};
  std::chrono::milliseconds ping_timeout{20'000};
  std::size_t max_payload = 1'000'000;
  // "*" allows every origin; otherwise the exact origins ("https://app.example.com").
  std::vector<std::string> cors_origins{"*"};
  bool allow_upgrades = true;
  const core::Clock* clock = &core::SystemClock::instance();
};

} // namespace herald::engineio
