#include "core/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <stdexcept>
#include <string>

namespace herald::core {

void configure_logging(std::string_view level, LogFormat format) {
  const auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off")
    throw std::invalid_argument("unknown log level: " + std::string(level));
  auto logger = spdlog::stderr_logger_mt("herald");
  if (format == LogFormat::json) {
    // The message is the last field so that a message with quotes still leaves the
    // timestamp and level machine-readable; spdlog escapes nothing itself.
    logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%v"})",
                        spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  }
  logger->set_level(lvl);
  spdlog::set_default_logger(logger);
}

} // namespace herald::core
