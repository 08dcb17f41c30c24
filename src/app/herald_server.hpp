#pragma once
// The composition root: builds every layer from the configuration and wires them
// together. The only place that sees them all (DESIGN section 2).

#include "app/config.hpp"
#include "core/clock.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>

namespace herald::app {

class HeraldServer {
public:
  // Throws ConfigError (or std::runtime_error) when the configuration cannot be served:
  // an unusable key, a store that cannot open.
  explicit HeraldServer(Config config, const core::Clock& clock = core::SystemClock::instance());
  ~HeraldServer();

  // Binds the listener and starts the event loops; returns the bound port.
  uint16_t start();
  // Stops accepting, closes every session, flushes the store. Idempotent.
  void stop();
  // start(), writes the port to `port_file` if given, serves until SIGINT or SIGTERM,
  // then stop(). Returns the process exit code.
  int run(const std::optional<std::filesystem::path>& port_file);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The HS256 secret of a configuration: auth.jwt_secret, else herald.secret beside the
// database (created on first use).
std::string resolve_jwt_secret(const Config& config);

} // namespace herald::app
