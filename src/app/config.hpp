#pragma once
// Herald's configuration (SPEC section 8): one struct per section, read from a TOML file,
// HERALD_* environment variables and --section.key flags. Flag beats environment beats
// file beats default. Every key is declared once, in the table behind config_keys(), and
// every source goes through that key's one parser, so a value means the same thing
// wherever it is written. Configuration is start-up code: errors are exceptions.

#include "core/log.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace herald::app {

using Millis = std::chrono::milliseconds;

// How a failed handshake authentication is reported (SPEC section 2).
enum class RejectMode {
  connect_error, // CONNECT_ERROR {message, data: {code}}
  event,         // legacy: accept, emit auth_error {message, code}, disconnect
};

// One event loop per core unless configured; never 0, even where the core count is unknown.
unsigned default_threads();

struct ServerConfig {
  std::string listen_host = "0.0.0.0"; // IPv6 literals without brackets
  uint16_t listen_port = 3000;         // 0 picks a free port
  std::string path = "/socket.io/";    // always starts and ends with '/'
  std::vector<std::string> cors_origins{"*"};
  Millis ping_interval{25'000};
  Millis ping_timeout{20'000};
  uint64_t max_payload = 1'000'000; // bytes per HTTP body or WebSocket message
  unsigned threads = default_threads();

  // True when `*` is among the origins: any origin is allowed.
  bool any_origin() const;
  bool operator==(const ServerConfig&) const = default;
};

struct AuthConfig {
  std::string algorithm = "HS256";                      // JOSE `alg`: HS256, RS256 or ES256
  std::optional<std::string> jwt_secret;                // unset: generated into herald.secret
  std::optional<std::filesystem::path> public_key_file; // PEM, for RS256 / ES256
  std::optional<std::filesystem::path> jwks_file;       // key chosen by `kid`
  std::optional<std::string> issuer;
  std::optional<std::string> audience;
  Millis leeway{30'000};
  RejectMode reject_mode = RejectMode::connect_error;
  std::vector<std::string> api_keys; // empty: the producer API accepts no key
  bool operator==(const AuthConfig&) const = default;
};

struct StoreConfig {
  std::string url = "sqlite://herald.db"; // sqlite://PATH, postgres:// or postgresql://
  bool operator==(const StoreConfig&) const = default;
};

struct DeliveryConfig {
  Millis ack_timeout{30'000};
  // One retry per entry, measured from the missed deadline; empty: no retries.
  std::vector<Millis> retry_backoff{Millis{60'000}, Millis{300'000}, Millis{900'000}};
  Millis batch_window{50};
  bool operator==(const DeliveryConfig&) const = default;
};

struct LimitsConfig {
  uint32_t max_connections_per_user = 100;
  uint32_t max_events_per_minute = 1000; // per connection
  Millis ban_duration{300'000};
  bool operator==(const LimitsConfig&) const = default;
};

struct ClusterConfig {
  std::optional<std::string> redis_url; // unset: in-process fan-out only
  bool operator==(const ClusterConfig&) const = default;
};

struct LogConfig {
  std::string level = "info"; // trace, debug, info, warn, error, critical or off
  core::LogFormat format = core::LogFormat::text;
  bool operator==(const LogConfig&) const = default;
};

struct Config {
  ServerConfig server;
  AuthConfig auth;
  StoreConfig store;
  DeliveryConfig delivery;
  LimitsConfig limits;
  ClusterConfig cluster;
  LogConfig log;
  bool operator==(const Config&) const = default;
};

// A configuration that stops the start. what() names the key (when there is one) and the
// source, e.g. `server.ping_interval: "abc" is not a duration (from HERALD_SERVER_PING_INTERVAL)`.
class ConfigError : public std::runtime_error {
public:
  ConfigError(std::string key, const std::string& message)
      : std::runtime_error(message), key_(std::move(key)) {}
  // The key at fault, e.g. "server.listen"; empty for file-level errors (syntax, unreadable).
  const std::string& key() const { return key_; }

private:
  std::string key_;
};

// One configuration key, for `herald serve --help` and the README.
struct KeyInfo {
  std::string_view name;          // "server.ping_interval"
  std::string_view default_value; // as it would be written; empty when unset by default
  std::string_view description;
  bool is_list = false; // comma-separated text or a TOML array

  // "HERALD_SERVER_PING_INTERVAL"
  std::string env_name() const;
  // "--server.ping_interval"
  std::string flag_name() const;
};

// Every key, in documentation order (section by section). The parser is driven by this list.
const std::vector<KeyInfo>& config_keys();

// "250ms", "30s", "5m", "1h", also combined ("1m30s"); a bare "0" is zero. Nullopt otherwise.
std::optional<Millis> parse_duration(std::string_view text);

// A URL for messages and logs, quoted, without its credentials: store and Redis URLs
// carry passwords.
std::string redact_url(std::string_view url);

// A value as its source gave it: text, or a list of texts (TOML arrays). TOML integers
// arrive as their decimal text, so one parser per key serves every source.
using ConfigValue = std::variant<std::string, std::vector<std::string>>;

// Collects values from the three sources, in any order, then builds the Config.
// Each load_* validates as it reads, so a bad value stops the start even when a higher
// source overrides it.
class ConfigLoader {
public:
  // Reads a TOML file (`[server] listen = "..."`). Throws ConfigError on an unreadable file,
  // a syntax error, an unknown key or a bad value.
  void load_file(const std::filesystem::path& file);
  // As load_file, from TOML text; `origin` names the text in messages.
  void load_toml(std::string_view text, const std::string& origin);
  // Reads every HERALD_* variable of a NULL-terminated `NAME=value` array (like environ).
  // HERALD_CONFIG (the file's path) is not a key; any other unknown HERALD_* throws.
  void load_env(char** envp);
  // Reads `--section.key=value` and `--section.key value` arguments (those after the
  // subcommand). `--config` is skipped; anything else throws. A repeated flag: the last wins.
  void load_flags(const std::vector<std::string>& args);
  // Defaults overlaid with file, environment and flags, in that order, then checked across
  // keys (RS256 / ES256 need a key file). Throws ConfigError.
  Config build() const;

private:
  enum Layer : std::size_t { file_layer, env_layer, flag_layer, layer_count };
  struct Setting {
    ConfigValue value;
    std::string source; // "herald.toml:3", "HERALD_SERVER_LISTEN", "--server.listen"
  };

  // Validates `value` with the key's parser and records it; throws on an unknown key.
  void set(Layer layer, std::string_view key, ConfigValue value, std::string source);
  // Where the effective value of `key` comes from: the highest layer that set it, or "default".
  std::string source_of(std::string_view key) const;

  std::array<std::map<std::string, Setting, std::less<>>, layer_count> layers_;
};

// The config file named by `--config PATH` / `--config=PATH`, else HERALD_CONFIG; nullopt
// when neither is given (Herald then runs on defaults, SPEC section 7).
std::optional<std::filesystem::path> config_file_path(const std::vector<std::string>& args, char** envp);

// The whole start-up sequence: config_file_path, then file, environment and flags. Throws ConfigError.
Config load_config(const std::vector<std::string>& args, char** envp);

} // namespace herald::app
