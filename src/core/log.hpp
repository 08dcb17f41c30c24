#pragma once
// Structured logging over spdlog: text for people, JSON lines for machines.

#include <spdlog/spdlog.h>
#include <string_view>

namespace herald::core {

enum class LogFormat { text, json };

// Configures the default logger once, at start-up. `level` is spdlog's name
// ("trace", "debug", "info", "warn", "error", "off"). Throws on an unknown level.
void configure_logging(std::string_view level, LogFormat format);

} // namespace herald::core
