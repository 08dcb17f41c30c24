#include "app/config.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <numeric>
#include <sstream>
#include <thread>
#include <toml++/toml.h>

namespace herald::app {
namespace {

// Thrown by a key's parser with the problem alone; ConfigLoader::set adds the key and source.
class InvalidValue : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

using Apply = void (*)(Config&, const ConfigValue&);

// One row of the key table: what the user reads and how the value is parsed.
struct KeyDef {
  KeyInfo info;
  Apply apply;
};

constexpr std::string_view kWhiteSpace = " \t\r\n";
constexpr std::string_view kEnvPrefix = "HERALD_";
// HERALD_* variables that are not keys: they say where the keys are.
constexpr std::string_view kReservedEnv[] = {"HERALD_CONFIG"};

std::string_view trim(std::string_view s) {
  const auto begin = s.find_first_not_of(kWhiteSpace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kWhiteSpace) - begin + 1);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// The value in double quotes with control characters escaped, so that a value from the
// environment cannot break the error message (or the log line it ends up in) apart.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  return out + '"';
}

} // namespace

std::string redact_url(std::string_view url) {
  const auto at = url.rfind('@');
  if (at == std::string_view::npos) return quote(url);
  const auto scheme_end = url.find("://");
  const std::size_t from = scheme_end == std::string_view::npos || scheme_end > at ? 0 : scheme_end + 3;
  return quote(fmt::format("{}***{}", url.substr(0, from), url.substr(at)));
}

namespace {

bool has_space_or_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

const std::string& single(const ConfigValue& value) {
  if (const auto* text = std::get_if<std::string>(&value)) return *text;
  throw InvalidValue("expected a single value, not a list");
}

// A list from a TOML array or from comma-separated text; items are trimmed and empty items
// dropped, so "a, b," is ["a", "b"] and "" is the empty list.
std::vector<std::string> items(const ConfigValue& value) {
  std::vector<std::string> out;
  auto add = [&](std::string_view item) {
    item = trim(item);
    if (!item.empty()) out.emplace_back(item);
  };
  if (const auto* list = std::get_if<std::vector<std::string>>(&value)) {
    for (const auto& item : *list)
      add(item);
    return out;
  }
  std::string_view text = std::get<std::string>(value);
  for (auto comma = text.find(','); comma != std::string_view::npos; comma = text.find(',')) {
    add(text.substr(0, comma));
    text.remove_prefix(comma + 1);
  }
  add(text);
  return out;
}

uint64_t parse_uint(std::string_view text, uint64_t min, uint64_t max) {
  text = trim(text);
  uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec == std::errc::invalid_argument || end != text.data() + text.size())
    throw InvalidValue(quote(text) + " is not a whole number");
  if (ec == std::errc::result_out_of_range || n < min || n > max)
    throw InvalidValue(fmt::format("{} is not between {} and {}", quote(text), min, max));
  return n;
}

Millis duration(std::string_view text, bool allow_zero) {
  const auto d = parse_duration(text);
  if (!d) throw InvalidValue(quote(trim(text)) + " is not a duration such as 250ms, 30s, 5m or 1h");
  if (!allow_zero && d->count() == 0) throw InvalidValue(quote(trim(text)) + " must be longer than zero");
  return *d;
}

// Case-insensitive choice among `allowed` (written in canonical case); returns the canonical form.
std::string one_of(std::string_view text, std::initializer_list<std::string_view> allowed) {
  const std::string wanted = lower(trim(text));
  for (const auto choice : allowed)
    if (lower(choice) == wanted) return std::string(choice);
  std::string list;
  for (const auto choice : allowed)
    list += (list.empty() ? "" : ", ") + std::string(choice);
  throw InvalidValue(fmt::format("{} is not one of {}", quote(trim(text)), list));
}

// Empty text means unset, so that an empty variable or flag can clear a value from the file.
std::optional<std::string> optional_text(const ConfigValue& value) {
  const std::string& text = single(value);
  if (text.empty()) return std::nullopt;
  return text;
}

std::optional<std::filesystem::path> optional_path(const ConfigValue& value) {
  const auto text = trim(single(value));
  if (text.empty()) return std::nullopt;
  return std::filesystem::path(text);
}

void parse_listen(Config& c, const ConfigValue& value) {
  const auto text = trim(single(value));
  const auto bad = [&] { return InvalidValue(quote(text) + " is not host:port, as in 0.0.0.0:3000"); };
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') throw bad();
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (host.empty()) throw bad();
  } else if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      throw InvalidValue(quote(text) + " needs brackets around the IPv6 address, as in [::1]:3000");
  } else if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
    port = text; // a bare port listens on every interface
  } else {
    throw bad();
  }
  if (has_space_or_control(host) || host.find('/') != std::string_view::npos) throw bad();
  if (port.empty() || port.find_first_not_of("0123456789") != std::string_view::npos) throw bad();
  uint64_t n = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
  if (ec != std::errc{} || n > 65535)
    throw InvalidValue(fmt::format("port {} is not between 0 and 65535", quote(port)));
  c.server.listen_host = host.empty() ? "0.0.0.0" : std::string(host);
  c.server.listen_port = static_cast<uint16_t>(n);
}

void parse_path(Config& c, const ConfigValue& value) {
  const auto text = trim(single(value));
  if (text.empty()) throw InvalidValue("the path is empty");
  if (!text.starts_with('/')) throw InvalidValue(quote(text) + " does not start with '/'");
  if (has_space_or_control(text) || text.find_first_of("?#") != std::string_view::npos)
    throw InvalidValue(quote(text) + " may not contain white space, '?' or '#'");
  // The router matches the prefix "/socket.io/"; "/socket.io" would also match "/socket.iox".
  c.server.path = text;
  if (!c.server.path.ends_with('/')) c.server.path += '/';
}

void parse_cors_origins(Config& c, const ConfigValue& value) {
  std::vector<std::string> origins;
  for (auto& origin : items(value)) {
    if (origin != "*") {
      const auto scheme_end = origin.find("://");
      if (scheme_end == std::string::npos || scheme_end == 0 || scheme_end + 3 >= origin.size() ||
          has_space_or_control(origin))
        throw InvalidValue(quote(origin) + " is not an origin such as https://app.example.com, or *");
      // Browsers send the Origin header lower-case and without a trailing slash.
      origin = lower(origin);
      while (origin.ends_with('/'))
        origin.pop_back();
    }
    origins.push_back(std::move(origin));
  }
  c.server.cors_origins = std::move(origins);
}

void parse_api_keys(Config& c, const ConfigValue& value) {
  auto keys = items(value);
  // The key itself stays out of the message: it is a credential.
  for (const auto& key : keys)
    if (has_space_or_control(key))
      throw InvalidValue("an API key contains white space or a control character");
  c.auth.api_keys = std::move(keys);
}

void parse_store_url(Config& c, const ConfigValue& value) {
  const auto text = trim(single(value));
  for (const std::string_view scheme : {"sqlite://", "postgres://", "postgresql://"}) {
    if (text.starts_with(scheme) && text.size() > scheme.size()) {
      c.store.url = text;
      return;
    }
  }
  throw InvalidValue(redact_url(text) + " is not a sqlite://, postgres:// or postgresql:// URL");
}

void parse_redis_url(Config& c, const ConfigValue& value) {
  const auto text = trim(single(value));
  if (text.empty()) {
    c.cluster.redis_url.reset();
    return;
  }
  constexpr std::string_view scheme = "redis://";
  if (!text.starts_with(scheme) || text.size() == scheme.size())
    throw InvalidValue(redact_url(text) + " is not a redis:// URL");
  c.cluster.redis_url = std::string(text);
}

void parse_retry_backoff(Config& c, const ConfigValue& value) {
  std::vector<Millis> backoff;
  for (const auto& item : items(value))
    backoff.push_back(duration(item, true));
  c.delivery.retry_backoff = std::move(backoff);
}

// Every key, declared once: the defaults here are the ones of Config (a test holds them
// equal), the descriptions are what `herald serve --help` prints.
const KeyDef kKeys[] = {
    {{"server.listen", "0.0.0.0:3000", "address and port to listen on (host:port; port 0 picks a free one)"},
     parse_listen},
    {{"server.path", "/socket.io/", "Engine.IO endpoint path"}, parse_path},
    {{"server.cors_origins", "*", "allowed CORS origins, comma separated; * allows any", true},
     parse_cors_origins},
    {{"server.ping_interval", "25s", "Engine.IO heartbeat interval (pingInterval)"},
     [](Config& c, const ConfigValue& v) { c.server.ping_interval = duration(single(v), false); }},
    {{"server.ping_timeout", "20s", "Engine.IO heartbeat timeout (pingTimeout)"},
     [](Config& c, const ConfigValue& v) { c.server.ping_timeout = duration(single(v), false); }},
    {{"server.max_payload", "1000000", "bytes per HTTP body or WebSocket message (maxPayload)"},
     [](Config& c, const ConfigValue& v) {
       c.server.max_payload = parse_uint(single(v), 1, uint64_t{1} << 30);
     }},
    {{"server.threads", "number of cores", "event loops (1 to 1024)"},
     [](Config& c, const ConfigValue& v) {
       c.server.threads = static_cast<unsigned>(parse_uint(single(v), 1, 1024));
     }},
    {{"auth.algorithm", "HS256", "JWT algorithm: HS256, RS256 or ES256"},
     [](Config& c, const ConfigValue& v) {
       c.auth.algorithm = one_of(single(v), {"HS256", "RS256", "ES256"});
     }},
    {{"auth.jwt_secret", "",
      "HS256 secret; when unset, generated once and kept in herald.secret beside the database"},
     [](Config& c, const ConfigValue& v) { c.auth.jwt_secret = optional_text(v); }},
    {{"auth.public_key_file", "", "PEM public key file, for RS256 / ES256"},
     [](Config& c, const ConfigValue& v) { c.auth.public_key_file = optional_path(v); }},
    {{"auth.jwks_file", "", "JWKS file, for RS256 / ES256 (key chosen by kid)"},
     [](Config& c, const ConfigValue& v) { c.auth.jwks_file = optional_path(v); }},
    {{"auth.issuer", "", "required iss claim, checked when set"},
     [](Config& c, const ConfigValue& v) { c.auth.issuer = optional_text(v); }},
    {{"auth.audience", "", "required aud claim, checked when set"},
     [](Config& c, const ConfigValue& v) { c.auth.audience = optional_text(v); }},
    {{"auth.leeway", "30s", "clock skew allowed on exp / nbf"},
     [](Config& c, const ConfigValue& v) { c.auth.leeway = duration(single(v), true); }},
    {{"auth.reject_mode", "connect_error",
      "connect_error, or event (legacy: auth_error event, then disconnect)"},
     [](Config& c, const ConfigValue& v) {
       c.auth.reject_mode = one_of(single(v), {"connect_error", "event"}) == "event"
                                ? RejectMode::event
                                : RejectMode::connect_error;
     }},
    {{"auth.api_keys", "", "producer API keys, comma separated", true}, parse_api_keys},
    {{"store.url", "sqlite://herald.db", "sqlite://PATH or postgres://user:pass@host:port/db"},
     parse_store_url},
    {{"delivery.ack_timeout", "30s", "time for a client to acknowledge a notification"},
     [](Config& c, const ConfigValue& v) { c.delivery.ack_timeout = duration(single(v), false); }},
    {{"delivery.retry_backoff", "1m,5m,15m", "one retry per entry, then permanent_failure", true},
     parse_retry_backoff},
    {{"delivery.batch_window", "50ms", "for clients that opt in to notification:batch"},
     [](Config& c, const ConfigValue& v) { c.delivery.batch_window = duration(single(v), true); }},
    {{"limits.max_connections_per_user", "100", "connections one user may hold"},
     [](Config& c, const ConfigValue& v) {
       c.limits.max_connections_per_user = static_cast<uint32_t>(parse_uint(single(v), 1, 1'000'000));
     }},
    {{"limits.max_events_per_minute", "1000", "client events per minute per connection"},
     [](Config& c, const ConfigValue& v) {
       c.limits.max_events_per_minute = static_cast<uint32_t>(parse_uint(single(v), 1, UINT32_MAX));
     }},
    {{"limits.ban_duration", "5m", "how long a user who exceeds the limits is banned"},
     [](Config& c, const ConfigValue& v) { c.limits.ban_duration = duration(single(v), true); }},
    {{"cluster.redis_url", "", "redis://host:port turns on fan-out between nodes through Redis"},
     parse_redis_url},
    {{"log.level", "info", "trace, debug, info, warn, error, critical or off"},
     [](Config& c, const ConfigValue& v) {
       auto level = lower(trim(single(v)));
       // spdlog's own aliases, accepted so that either spelling works.
       if (level == "warning") level = "warn";
       if (level == "err") level = "error";
       c.log.level = one_of(level, {"trace", "debug", "info", "warn", "error", "critical", "off"});
     }},
    {{"log.format", "text", "text, or json (JSON lines)"},
     [](Config& c, const ConfigValue& v) {
       c.log.format =
           one_of(single(v), {"text", "json"}) == "json" ? core::LogFormat::json : core::LogFormat::text;
     }},
};

const KeyDef* find_key(std::string_view name) {
  for (const auto& def : kKeys)
    if (def.info.name == name) return &def;
  return nullptr;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The closest known key, when one is close enough to be a typo.
const KeyDef* nearest_key(std::string_view name) {
  const std::string wanted = lower(name);
  const KeyDef* best = nullptr;
  std::size_t best_distance = 4; // further than 3 edits is a different word, not a typo
  for (const auto& def : kKeys) {
    const auto d = edit_distance(wanted, def.info.name);
    if (d < best_distance) {
      best = &def;
      best_distance = d;
    }
  }
  return best;
}

// Names an unknown key the way its source spells keys, with a suggestion when there is one.
[[noreturn]] void throw_unknown_key(std::string_view key, std::string_view source,
                                    std::string_view spelling) {
  std::string message = fmt::format("unknown key {} (from {})", quote(key), source);
  if (const auto* near = nearest_key(key)) {
    const std::string suggestion = spelling == "env"    ? near->info.env_name()
                                   : spelling == "flag" ? near->info.flag_name()
                                                        : std::string(near->info.name);
    message += fmt::format("; did you mean {}?", suggestion);
  }
  throw ConfigError(std::string(key), message);
}

std::string_view toml_type_name(const toml::node& node) {
  switch (node.type()) {
  case toml::node_type::table:
    return "a table";
  case toml::node_type::array:
    return "an array";
  case toml::node_type::floating_point:
    return "a floating-point number";
  case toml::node_type::boolean:
    return "a boolean";
  case toml::node_type::date:
  case toml::node_type::time:
  case toml::node_type::date_time:
    return "a date or time";
  default:
    return "a value of another type";
  }
}

// A TOML string or integer as text; nullopt for any other type.
std::optional<std::string> toml_scalar(const toml::node& node) {
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  return std::nullopt;
}

ConfigValue from_toml(std::string_view key, const toml::node& node, std::string_view source) {
  const auto wrong = [&](const toml::node& n, std::string_view expected) {
    return ConfigError(std::string(key), fmt::format("{}: expected {}, not {} (from {})", key, expected,
                                                     toml_type_name(n), source));
  };
  if (auto text = toml_scalar(node)) return *text;
  const auto* array = node.as_array();
  if (!array) throw wrong(node, "a string, an integer or an array of strings");
  std::vector<std::string> list;
  for (const auto& element : *array) {
    auto text = toml_scalar(element);
    if (!text) throw wrong(element, "an array of strings");
    list.push_back(std::move(*text));
  }
  return list;
}

} // namespace

unsigned default_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

bool ServerConfig::any_origin() const {
  return std::find(cors_origins.begin(), cors_origins.end(), "*") != cors_origins.end();
}

std::string KeyInfo::env_name() const {
  std::string out = upper(name);
  std::replace(out.begin(), out.end(), '.', '_');
  return std::string(kEnvPrefix) + out;
}

std::string KeyInfo::flag_name() const { return "--" + std::string(name); }

const std::vector<KeyInfo>& config_keys() {
  static const std::vector<KeyInfo> keys = [] {
    std::vector<KeyInfo> out;
    for (const auto& def : kKeys)
      out.push_back(def.info);
    return out;
  }();
  return keys;
}

std::optional<Millis> parse_duration(std::string_view text) {
  text = trim(text);
  if (text == "0") return Millis{0};
  if (text.empty()) return std::nullopt;
  // 10^15 ms is some 30,000 years: anything longer is a typo, and the sum cannot overflow.
  constexpr int64_t max_ms = 1'000'000'000'000'000;
  int64_t total = 0;
  while (!text.empty()) {
    const auto digits = std::min(text.find_first_not_of("0123456789"), text.size());
    if (digits == 0 || digits > 15) return std::nullopt;
    int64_t n = 0;
    std::from_chars(text.data(), text.data() + digits, n);
    text.remove_prefix(digits);
    int64_t unit = 0;
    if (text.starts_with("ms")) {
      unit = 1;
      text.remove_prefix(2);
    } else if (!text.empty() && (text[0] == 's' || text[0] == 'm' || text[0] == 'h')) {
      unit = text[0] == 's' ? 1000 : text[0] == 'm' ? 60'000 : 3'600'000;
      text.remove_prefix(1);
    } else {
      return std::nullopt;
    }
    if (n > (max_ms - total) / unit) return std::nullopt;
    total += n * unit;
  }
  return Millis{total};
}

void ConfigLoader::load_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw ConfigError(
        "", fmt::format("cannot read the configuration file {}: {}", file.string(), std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  load_toml(text.str(), file.string());
}

void ConfigLoader::load_toml(std::string_view text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    throw ConfigError("", fmt::format("{}:{}:{}: {}", origin, at.line, at.column, e.description()));
  }
  for (const auto& [section, node] : root) {
    const auto* table = node.as_table();
    if (!table)
      throw_unknown_key(section.str(), fmt::format("{}:{}", origin, section.source().begin.line), "file");
    for (const auto& [name, value] : *table) {
      const std::string key = fmt::format("{}.{}", section.str(), name.str());
      const std::string source = fmt::format("{}:{}", origin, name.source().begin.line);
      if (!find_key(key)) throw_unknown_key(key, source, "file");
      set(file_layer, key, from_toml(key, value, source), source);
    }
  }
}

void ConfigLoader::load_env(char** envp) {
  if (!envp) return;
  for (char** entry = envp; *entry; ++entry) {
    const std::string_view variable(*entry);
    const auto eq = variable.find('=');
    if (!variable.starts_with(kEnvPrefix) || eq == std::string_view::npos) continue;
    const auto name = variable.substr(0, eq);
    if (std::find(std::begin(kReservedEnv), std::end(kReservedEnv), name) != std::end(kReservedEnv)) continue;
    const auto def = std::find_if(std::begin(kKeys), std::end(kKeys),
                                  [&](const KeyDef& d) { return d.info.env_name() == name; });
    if (def == std::end(kKeys)) {
      // HERALD_SERVER_FOO reads as server.foo: the section is the first word.
      std::string key = lower(name.substr(kEnvPrefix.size()));
      if (const auto underscore = key.find('_'); underscore != std::string::npos) key[underscore] = '.';
      throw_unknown_key(key, name, "env");
    }
    set(env_layer, def->info.name, std::string(variable.substr(eq + 1)), std::string(name));
  }
}

void ConfigLoader::load_flags(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (!arg.starts_with("--"))
      throw ConfigError(
          "", fmt::format("unexpected argument {}; flags are written --section.key=value", quote(arg)));
    std::string_view name = arg.substr(2);
    std::string value;
    if (const auto eq = name.find('='); eq != std::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (i + 1 < args.size() && !args[i + 1].starts_with("--")) {
      value = args[++i];
    } else {
      throw ConfigError(std::string(name), fmt::format("--{} needs a value", name));
    }
    if (name == "config") continue; // the file's path, read by config_file_path
    const std::string source = fmt::format("--{}", name);
    if (!find_key(name)) throw_unknown_key(name, source, "flag");
    set(flag_layer, name, std::move(value), source);
  }
}

Config ConfigLoader::build() const {
  Config config;
  for (const auto& layer : layers_)
    for (const auto& [key, setting] : layer)
      find_key(key)->apply(config, setting.value);
  if (config.auth.algorithm != "HS256" && !config.auth.public_key_file && !config.auth.jwks_file)
    throw ConfigError("auth.algorithm",
                      fmt::format("auth.algorithm: {} needs auth.public_key_file or auth.jwks_file (from {})",
                                  config.auth.algorithm, source_of("auth.algorithm")));
  return config;
}

void ConfigLoader::set(Layer layer, std::string_view key, ConfigValue value, std::string source) {
  const KeyDef* def = find_key(key);
  if (!def) throw_unknown_key(key, source, "file");
  // Parse now, into a scratch Config, so the error names this source even when a higher
  // source would override the value.
  Config scratch;
  try {
    def->apply(scratch, value);
  } catch (const InvalidValue& e) {
    throw ConfigError(std::string(key), fmt::format("{}: {} (from {})", key, e.what(), source));
  }
  layers_[layer].insert_or_assign(std::string(key), Setting{std::move(value), std::move(source)});
}

std::string ConfigLoader::source_of(std::string_view key) const {
  for (auto layer = layers_.rbegin(); layer != layers_.rend(); ++layer)
    if (const auto it = layer->find(key); it != layer->end()) return it->second.source;
  return "default";
}

std::optional<std::filesystem::path> config_file_path(const std::vector<std::string>& args, char** envp) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    std::string_view path;
    if (arg.starts_with("--config=")) {
      path = arg.substr(9);
    } else if (arg == "--config") {
      if (i + 1 < args.size()) path = args[i + 1];
    } else {
      continue;
    }
    if (path.empty() || path.starts_with("--")) throw ConfigError("", "--config needs a file path");
    return std::filesystem::path(path);
  }
  for (char** entry = envp; envp && *entry; ++entry) {
    const std::string_view variable(*entry);
    if (variable.starts_with("HERALD_CONFIG=") && variable.size() > 14)
      return std::filesystem::path(variable.substr(14));
  }
  return std::nullopt;
}

Config load_config(const std::vector<std::string>& args, char** envp) {
  ConfigLoader loader;
  if (const auto file = config_file_path(args, envp)) loader.load_file(*file);
  loader.load_env(envp);
  loader.load_flags(args);
  return loader.build();
}

} // namespace herald::app
