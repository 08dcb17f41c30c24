// Configuration: defaults, the three sources and their precedence, every parser's good and
// bad forms, and that each error names the key and where the value came from.

#include "app/config.hpp"

#include "core/ids.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <initializer_list>
#include <thread>

namespace herald::app {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// A NULL-terminated NAME=value array, as environ is.
class Env {
public:
  Env(std::initializer_list<std::string> variables) : variables_(variables) {
    for (auto& v : variables_)
      pointers_.push_back(v.data());
    pointers_.push_back(nullptr);
  }
  char** get() { return pointers_.data(); }

private:
  std::vector<std::string> variables_;
  std::vector<char*> pointers_;
};

// A directory of its own per test, removed afterwards.
class TempDir {
public:
  TempDir()
      : path_(std::filesystem::temp_directory_path() / ("herald-config-test-" + core::random_token(9))) {
    std::filesystem::create_directory(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return path_ / name;
  }

private:
  std::filesystem::path path_;
};

struct Failure {
  std::string key;
  std::string message;
};

// The ConfigError `f` throws; fails the test when it throws none.
template <typename F> Failure failure_of(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return {e.key(), e.what()};
  }
  ADD_FAILURE() << "expected a ConfigError";
  return {};
}

Config from_toml(const std::string& text) {
  ConfigLoader loader;
  loader.load_toml(text, "test.toml");
  return loader.build();
}

Config from_env(std::initializer_list<std::string> variables) {
  Env env(variables);
  ConfigLoader loader;
  loader.load_env(env.get());
  return loader.build();
}

Config from_flags(const std::vector<std::string>& args) {
  ConfigLoader loader;
  loader.load_flags(args);
  return loader.build();
}

Failure flag_failure(const std::string& key, const std::string& value) {
  return failure_of([&] { from_flags({"--" + key + "=" + value}); });
}

// ---- defaults and the key table ----

TEST(ConfigDefaults, MatchSpecSection8) {
  const Config c;
  EXPECT_EQ(c.server.listen_host, "0.0.0.0");
  EXPECT_EQ(c.server.listen_port, 3000);
  EXPECT_EQ(c.server.path, "/socket.io/");
  EXPECT_EQ(c.server.cors_origins, std::vector<std::string>{"*"});
  EXPECT_TRUE(c.server.any_origin());
  EXPECT_EQ(c.server.ping_interval, 25s);
  EXPECT_EQ(c.server.ping_timeout, 20s);
  EXPECT_EQ(c.server.max_payload, 1'000'000u);
  EXPECT_EQ(c.server.threads, std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_GE(c.server.threads, 1u);
  EXPECT_EQ(c.auth.algorithm, "HS256");
  EXPECT_FALSE(c.auth.jwt_secret);
  EXPECT_FALSE(c.auth.public_key_file);
  EXPECT_FALSE(c.auth.jwks_file);
  EXPECT_FALSE(c.auth.issuer);
  EXPECT_FALSE(c.auth.audience);
  EXPECT_EQ(c.auth.leeway, 30s);
  EXPECT_EQ(c.auth.reject_mode, RejectMode::connect_error);
  EXPECT_TRUE(c.auth.api_keys.empty());
  EXPECT_EQ(c.store.url, "sqlite://herald.db");
  EXPECT_EQ(c.delivery.ack_timeout, 30s);
  EXPECT_EQ(c.delivery.retry_backoff, (std::vector<Millis>{1min, 5min, 15min}));
  EXPECT_EQ(c.delivery.batch_window, 50ms);
  EXPECT_EQ(c.limits.max_connections_per_user, 100u);
  EXPECT_EQ(c.limits.max_events_per_minute, 1000u);
  EXPECT_EQ(c.limits.ban_duration, 5min);
  EXPECT_FALSE(c.cluster.redis_url);
  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c.log.format, core::LogFormat::text);
}

TEST(ConfigDefaults, NoSourceAtAllGivesTheDefaults) {
  Env empty({});
  EXPECT_EQ(load_config({}, empty.get()), Config{});
  EXPECT_EQ(ConfigLoader{}.build(), Config{});
}

TEST(ConfigKeys, ListsEveryKeyOfTheSpecOnce) {
  std::vector<std::string> names;
  for (const auto& key : config_keys()) {
    names.emplace_back(key.name);
    EXPECT_FALSE(key.description.empty()) << key.name;
  }
  const std::vector<std::string> expected = {"server.listen",
                                             "server.path",
                                             "server.cors_origins",
                                             "server.ping_interval",
                                             "server.ping_timeout",
                                             "server.max_payload",
                                             "server.threads",
                                             "auth.algorithm",
                                             "auth.jwt_secret",
                                             "auth.public_key_file",
                                             "auth.jwks_file",
                                             "auth.issuer",
                                             "auth.audience",
                                             "auth.leeway",
                                             "auth.reject_mode",
                                             "auth.api_keys",
                                             "store.url",
                                             "delivery.ack_timeout",
                                             "delivery.retry_backoff",
                                             "delivery.batch_window",
                                             "limits.max_connections_per_user",
                                             "limits.max_events_per_minute",
                                             "limits.ban_duration",
                                             "cluster.redis_url",
                                             "log.level",
                                             "log.format"};
  EXPECT_EQ(names, expected);
}

TEST(ConfigKeys, EnvironmentAndFlagNames) {
  const auto& keys = config_keys();
  const auto it = std::find_if(keys.begin(), keys.end(),
                               [](const KeyInfo& k) { return k.name == "server.ping_interval"; });
  ASSERT_NE(it, keys.end());
  EXPECT_EQ(it->env_name(), "HERALD_SERVER_PING_INTERVAL");
  EXPECT_EQ(it->flag_name(), "--server.ping_interval");
}

// The documented defaults and the struct's initialisers are two spellings of one thing.
TEST(ConfigKeys, DocumentedDefaultsParseToTheStructDefaults) {
  std::vector<std::string> args;
  for (const auto& key : config_keys()) {
    // The one default that depends on the machine; ConfigDefaults checks it.
    if (key.name == "server.threads") continue;
    // An empty default is "unset", which an empty value also means.
    args.push_back(key.flag_name() + "=" + std::string(key.default_value));
  }
  EXPECT_EQ(args.size(), config_keys().size() - 1);
  EXPECT_EQ(from_flags(args), Config{});
}

// ---- each source alone ----

TEST(ConfigFile, ReadsEverySection) {
  const Config c = from_toml(R"(
[server]
listen = "127.0.0.1:8080"
path = "/rt"
cors_origins = ["https://a.example", "https://B.example/"]
ping_interval = "10s"
ping_timeout = "5s"
max_payload = 2048
threads = 3

[auth]
algorithm = "RS256"
public_key_file = "/etc/herald/key.pem"
jwks_file = "/etc/herald/jwks.json"
issuer = "https://issuer"
audience = "herald"
leeway = "0"
reject_mode = "event"
api_keys = "k1, k2"

[store]
url = "postgres://u:p@db:5432/herald"

[delivery]
ack_timeout = "1m30s"
retry_backoff = ["10s", "1h"]
batch_window = "0ms"

[limits]
max_connections_per_user = 5
max_events_per_minute = "60"
ban_duration = "1h"

[cluster]
redis_url = "redis://cache:6379"

[log]
level = "debug"
format = "json"
)");
  EXPECT_EQ(c.server.listen_host, "127.0.0.1");
  EXPECT_EQ(c.server.listen_port, 8080);
  EXPECT_EQ(c.server.path, "/rt/");
  EXPECT_EQ(c.server.cors_origins, (std::vector<std::string>{"https://a.example", "https://b.example"}));
  EXPECT_FALSE(c.server.any_origin());
  EXPECT_EQ(c.server.ping_interval, 10s);
  EXPECT_EQ(c.server.ping_timeout, 5s);
  EXPECT_EQ(c.server.max_payload, 2048u);
  EXPECT_EQ(c.server.threads, 3u);
  EXPECT_EQ(c.auth.algorithm, "RS256");
  EXPECT_EQ(c.auth.public_key_file, std::filesystem::path("/etc/herald/key.pem"));
  EXPECT_EQ(c.auth.jwks_file, std::filesystem::path("/etc/herald/jwks.json"));
  EXPECT_EQ(c.auth.issuer, "https://issuer");
  EXPECT_EQ(c.auth.audience, "herald");
  EXPECT_EQ(c.auth.leeway, 0ms);
  EXPECT_EQ(c.auth.reject_mode, RejectMode::event);
  EXPECT_EQ(c.auth.api_keys, (std::vector<std::string>{"k1", "k2"}));
  EXPECT_EQ(c.store.url, "postgres://u:p@db:5432/herald");
  EXPECT_EQ(c.delivery.ack_timeout, 90s);
  EXPECT_EQ(c.delivery.retry_backoff, (std::vector<Millis>{10s, 1h}));
  EXPECT_EQ(c.delivery.batch_window, 0ms);
  EXPECT_EQ(c.limits.max_connections_per_user, 5u);
  EXPECT_EQ(c.limits.max_events_per_minute, 60u);
  EXPECT_EQ(c.limits.ban_duration, 1h);
  EXPECT_EQ(c.cluster.redis_url, "redis://cache:6379");
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.log.format, core::LogFormat::json);
}

TEST(ConfigFile, LoadsFromDisk) {
  TempDir dir;
  const auto file =
      dir.write("herald.toml", "[server]\nlisten = \":4000\"\n[auth]\njwt_secret = \"s3cret\"\n");
  ConfigLoader loader;
  loader.load_file(file);
  const Config c = loader.build();
  EXPECT_EQ(c.server.listen_host, "0.0.0.0");
  EXPECT_EQ(c.server.listen_port, 4000);
  EXPECT_EQ(c.auth.jwt_secret, "s3cret");
}

TEST(ConfigFile, MissingFileIsAnError) {
  TempDir dir;
  const auto f = failure_of([&] { ConfigLoader{}.load_file(dir.path() / "absent.toml"); });
  EXPECT_THAT(f.message, HasSubstr("absent.toml"));
}

TEST(ConfigFile, SyntaxErrorNamesFileAndLine) {
  const auto f = failure_of([] { from_toml("[server]\nlisten = \n"); });
  EXPECT_THAT(f.message, HasSubstr("test.toml:2:"));
}

TEST(ConfigFile, DottedKeysAreTheSameAsTables) {
  EXPECT_EQ(from_toml("server.threads = 2\nlog.format = \"json\"\n").server.threads, 2u);
}

TEST(ConfigEnv, ReadsHeraldVariables) {
  const Config c =
      from_env({"PATH=/usr/bin", "HERALD_SERVER_LISTEN=[::1]:0", "HERALD_SERVER_PING_INTERVAL=1s",
                "HERALD_AUTH_API_KEYS=a,b,,c", "HERALD_DELIVERY_RETRY_BACKOFF=1s, 2s",
                "HERALD_LOG_LEVEL=WARNING", "HERALD_CONFIG=/nowhere.toml", "HERALDRY=1"});
  EXPECT_EQ(c.server.listen_host, "::1");
  EXPECT_EQ(c.server.listen_port, 0);
  EXPECT_EQ(c.server.ping_interval, 1s);
  EXPECT_EQ(c.auth.api_keys, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(c.delivery.retry_backoff, (std::vector<Millis>{1s, 2s}));
  EXPECT_EQ(c.log.level, "warn");
}

TEST(ConfigEnv, NullEnvironmentIsEmpty) {
  ConfigLoader loader;
  loader.load_env(nullptr);
  EXPECT_EQ(loader.build(), Config{});
}

TEST(ConfigFlags, BothFormsAndLastWins) {
  const Config c = from_flags({"--server.threads=2", "--server.path", "/x", "--log.format", "JSON",
                               "--server.threads=4", "--config", "ignored.toml", "--server.cors_origins=*"});
  EXPECT_EQ(c.server.threads, 4u);
  EXPECT_EQ(c.server.path, "/x/");
  EXPECT_EQ(c.log.format, core::LogFormat::json);
  EXPECT_TRUE(c.server.any_origin());
}

TEST(ConfigFlags, MalformedArguments) {
  EXPECT_THAT(failure_of([] { from_flags({"serve"}); }).message, HasSubstr("unexpected argument \"serve\""));
  const auto missing = failure_of([] { from_flags({"--server.path"}); });
  EXPECT_EQ(missing.key, "server.path");
  EXPECT_THAT(missing.message, HasSubstr("--server.path needs a value"));
  EXPECT_THAT(failure_of([] {
                from_flags({"--server.path", "--server.threads=2"});
              }).message,
              HasSubstr("needs a value"));
}

// ---- precedence ----

TEST(ConfigPrecedence, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  const std::string toml = "[server]\nthreads = 2\nping_interval = \"2s\"\nmax_payload = 2\n";
  Env env({"HERALD_SERVER_THREADS=3", "HERALD_SERVER_PING_INTERVAL=3s"});
  const std::vector<std::string> flags = {"--server.threads=4"};

  ConfigLoader loader;
  loader.load_toml(toml, "test.toml");
  loader.load_env(env.get());
  loader.load_flags(flags);
  const Config c = loader.build();
  EXPECT_EQ(c.server.threads, 4u);       // flag
  EXPECT_EQ(c.server.ping_interval, 3s); // environment over file
  EXPECT_EQ(c.server.max_payload, 2u);   // file over default
  EXPECT_EQ(c.server.ping_timeout, 20s); // default
}

TEST(ConfigPrecedence, DoesNotDependOnLoadingOrder) {
  Env env({"HERALD_LOG_LEVEL=error"});
  ConfigLoader loader;
  loader.load_flags({"--log.level=debug"});
  loader.load_env(env.get());
  loader.load_toml("[log]\nlevel = \"trace\"\nformat = \"json\"\n", "test.toml");
  const Config c = loader.build();
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.log.format, core::LogFormat::json);
}

TEST(ConfigPrecedence, EmptyValueUnsetsAnOptional) {
  Env env({"HERALD_CLUSTER_REDIS_URL=", "HERALD_AUTH_ISSUER="});
  ConfigLoader loader;
  loader.load_toml("[cluster]\nredis_url = \"redis://r:6379\"\n[auth]\nissuer = \"i\"\n", "test.toml");
  loader.load_env(env.get());
  const Config c = loader.build();
  EXPECT_FALSE(c.cluster.redis_url);
  EXPECT_FALSE(c.auth.issuer);
}

TEST(ConfigPrecedence, LoadConfigReadsTheFileNamedByFlagOrEnvironment) {
  TempDir dir;
  const auto by_env = dir.write("env.toml", "[server]\nthreads = 2\n[log]\nlevel = \"debug\"\n");
  const auto by_flag = dir.write("flag.toml", "[server]\nthreads = 3\n");
  const std::string env_var = "HERALD_CONFIG=" + by_env.string();

  Env env({env_var, "HERALD_LOG_LEVEL=error"});
  Config c = load_config({}, env.get());
  EXPECT_EQ(c.server.threads, 2u);
  EXPECT_EQ(c.log.level, "error");

  c = load_config({"--config", by_flag.string(), "--server.path=/p"}, env.get());
  EXPECT_EQ(c.server.threads, 3u);
  EXPECT_EQ(c.server.path, "/p/");
  EXPECT_EQ(config_file_path({"--config=" + by_flag.string()}, env.get()), by_flag);

  Env none({"HERALD_CONFIG="});
  EXPECT_FALSE(config_file_path({}, none.get()));
  EXPECT_THAT(failure_of([&] { config_file_path({"--config"}, none.get()); }).message, HasSubstr("--config"));
}

// ---- durations ----

TEST(Durations, GoodForms) {
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("30s"), 30s);
  EXPECT_EQ(parse_duration("5m"), 5min);
  EXPECT_EQ(parse_duration("1h"), 1h);
  EXPECT_EQ(parse_duration("1h30m"), 90min);
  EXPECT_EQ(parse_duration("1m500ms"), 60500ms);
  EXPECT_EQ(parse_duration(" 2s "), 2s);
  EXPECT_EQ(parse_duration("0"), 0ms);
  EXPECT_EQ(parse_duration("0s"), 0ms);
}

TEST(Durations, BadForms) {
  for (const char* text : {"", "abc", "30", "s", "1.5s", "-1s", "5 s", "1d", "1sm", "5mm", "1h 30m", "ms",
                           "9999999999999999s", "999999999999999h"})
    EXPECT_FALSE(parse_duration(text)) << text;
}

TEST(Durations, ErrorMessageAsDocumented) {
  const auto f = failure_of([] { from_env({"HERALD_SERVER_PING_INTERVAL=abc"}); });
  EXPECT_EQ(f.key, "server.ping_interval");
  EXPECT_THAT(f.message, HasSubstr("server.ping_interval: \"abc\" is not a duration"));
  EXPECT_THAT(f.message, HasSubstr("(from HERALD_SERVER_PING_INTERVAL)"));
}

TEST(Durations, RetryBackoffForms) {
  EXPECT_EQ(from_flags({"--delivery.retry_backoff=1m,5m,15m"}).delivery.retry_backoff,
            (std::vector<Millis>{1min, 5min, 15min}));
  EXPECT_EQ(from_toml("[delivery]\nretry_backoff = [\"2s\"]\n").delivery.retry_backoff,
            std::vector<Millis>{2s});
  // No retries at all: the first missed ack is final.
  EXPECT_TRUE(from_flags({"--delivery.retry_backoff="}).delivery.retry_backoff.empty());
  EXPECT_THAT(flag_failure("delivery.retry_backoff", "1m,soon").message,
              HasSubstr("\"soon\" is not a duration"));
}

TEST(Durations, ZeroOnlyWhereItMeansSomething) {
  for (const char* key : {"server.ping_interval", "server.ping_timeout", "delivery.ack_timeout"})
    EXPECT_THAT(flag_failure(key, "0s").message, HasSubstr("must be longer than zero")) << key;
  EXPECT_EQ(from_flags({"--auth.leeway=0s"}).auth.leeway, 0ms);
  EXPECT_EQ(from_flags({"--delivery.batch_window=0"}).delivery.batch_window, 0ms);
}

// ---- validation: every error names the key and the source ----

TEST(Validation, EveryBadValueNamesKeyAndSource) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"server.listen", "nohost"},
      {"server.listen", "0.0.0.0:65536"},
      {"server.listen", "0.0.0.0:"},
      {"server.listen", "::1:3000"},
      {"server.listen", "[::1]3000"},
      {"server.listen", "a b:80"},
      {"server.path", ""},
      {"server.path", "socket.io/"},
      {"server.path", "/a?b"},
      {"server.cors_origins", "example.com"},
      {"server.ping_interval", "abc"},
      {"server.ping_timeout", "20"},
      {"server.max_payload", "0"},
      {"server.max_payload", "1MB"},
      {"server.max_payload", "-1"},
      {"server.threads", "0"},
      {"server.threads", "many"},
      {"server.threads", "99999999999999999999999"},
      {"auth.algorithm", "HS512"},
      {"auth.algorithm", "none"},
      {"auth.leeway", "1 minute"},
      {"auth.reject_mode", "close"},
      {"auth.api_keys", "a b"},
      {"store.url", "mysql://db"},
      {"store.url", "sqlite://"},
      {"store.url", "herald.db"},
      {"delivery.ack_timeout", "x"},
      {"delivery.retry_backoff", "1m,x"},
      {"delivery.batch_window", "fast"},
      {"limits.max_connections_per_user", "0"},
      {"limits.max_events_per_minute", "0"},
      {"limits.max_events_per_minute", "4294967296"},
      {"limits.ban_duration", "forever"},
      {"cluster.redis_url", "http://cache:6379"},
      {"cluster.redis_url", "rediss://cache"},
      {"log.level", "verbose"},
      {"log.format", "xml"},
  };
  // Plain references, not structured bindings: clang 14 cannot capture those in a lambda.
  for (const auto& c : cases) {
    const std::string& key = c.first;
    const std::string& value = c.second;
    const auto by_flag = flag_failure(key, value);
    EXPECT_EQ(by_flag.key, key) << value;
    EXPECT_THAT(by_flag.message, HasSubstr(key + ": ")) << value;
    EXPECT_THAT(by_flag.message, HasSubstr("(from --" + key + ")")) << value;

    std::string env_name = "HERALD_" + key;
    std::transform(env_name.begin(), env_name.end(), env_name.begin(),
                   [](char ch) { return ch == '.' ? '_' : static_cast<char>(std::toupper(ch)); });
    const auto by_env = failure_of([&] { from_env({env_name + "=" + value}); });
    EXPECT_THAT(by_env.message, HasSubstr(key + ": ")) << value;
    EXPECT_THAT(by_env.message, HasSubstr("(from " + env_name + ")")) << value;

    // None of the values holds a quote or a backslash, so they need no TOML escaping.
    const auto dot = key.find('.');
    const std::string toml =
        "# line 1\n[" + key.substr(0, dot) + "]\n" + key.substr(dot + 1) + " = \"" + value + "\"\n";
    const auto by_file = failure_of([&] { from_toml(toml); });
    EXPECT_THAT(by_file.message, HasSubstr(key + ": ")) << value;
    EXPECT_THAT(by_file.message, HasSubstr("(from test.toml:3)")) << value;
  }
}

TEST(Validation, MessagesSayWhatIsWrong) {
  EXPECT_THAT(flag_failure("server.listen", "0.0.0.0:70000").message,
              HasSubstr("port \"70000\" is not between 0 and 65535"));
  EXPECT_THAT(flag_failure("server.listen", "::1:3000").message, HasSubstr("brackets"));
  EXPECT_THAT(flag_failure("server.path", "").message, HasSubstr("the path is empty"));
  EXPECT_THAT(flag_failure("server.path", "x/").message, HasSubstr("does not start with '/'"));
  EXPECT_THAT(flag_failure("server.threads", "0").message, HasSubstr("\"0\" is not between 1 and"));
  EXPECT_THAT(flag_failure("server.max_payload", "0").message, HasSubstr("\"0\" is not between 1 and"));
  EXPECT_THAT(flag_failure("auth.algorithm", "HS512").message,
              HasSubstr("is not one of HS256, RS256, ES256"));
  EXPECT_THAT(flag_failure("auth.reject_mode", "x").message, HasSubstr("is not one of connect_error, event"));
  EXPECT_THAT(flag_failure("log.level", "x").message, HasSubstr("is not one of trace, debug, info"));
  EXPECT_THAT(flag_failure("log.format", "x").message, HasSubstr("is not one of text, json"));
  // A control character in a value cannot break the message (or a log line) apart.
  EXPECT_THAT(flag_failure("log.format", "a\nb").message, HasSubstr("\"a\\x0ab\""));
}

TEST(Validation, CredentialsStayOutOfMessages) {
  const auto store = flag_failure("store.url", "postgress://admin:hunter2@db/h");
  EXPECT_THAT(store.message, ::testing::Not(HasSubstr("hunter2")));
  EXPECT_THAT(store.message, HasSubstr("postgress://***@db/h"));
  EXPECT_THAT(flag_failure("cluster.redis_url", "http://:hunter2@r").message,
              ::testing::Not(HasSubstr("hunter2")));
  EXPECT_THAT(flag_failure("auth.api_keys", "good,hunter 2").message, ::testing::Not(HasSubstr("hunter")));
}

TEST(Validation, BadValueStopsTheStartEvenWhenOverridden) {
  ConfigLoader loader;
  loader.load_flags({"--server.threads=2"});
  EXPECT_THAT(failure_of([&] { loader.load_toml("[server]\nthreads = 0\n", "test.toml"); }).message,
              HasSubstr("(from test.toml:2)"));
}

TEST(Validation, AsymmetricAlgorithmsNeedAKeyFile) {
  const auto f = failure_of([] { from_flags({"--auth.algorithm=es256"}); });
  EXPECT_EQ(f.key, "auth.algorithm");
  EXPECT_THAT(
      f.message,
      HasSubstr(
          "auth.algorithm: ES256 needs auth.public_key_file or auth.jwks_file (from --auth.algorithm)"));
  EXPECT_EQ(from_flags({"--auth.algorithm=ES256", "--auth.jwks_file=/k.json"}).auth.algorithm, "ES256");
  EXPECT_EQ(from_flags({"--auth.algorithm=rs256", "--auth.public_key_file=/k.pem"}).auth.algorithm, "RS256");
}

// ---- individual parsers ----

TEST(Parsers, ListenForms) {
  auto listen = [](const std::string& v) {
    const auto s = from_flags({"--server.listen=" + v}).server;
    return s.listen_host + " " + std::to_string(s.listen_port);
  };
  EXPECT_EQ(listen("127.0.0.1:80"), "127.0.0.1 80");
  EXPECT_EQ(listen("localhost:0"), "localhost 0");
  EXPECT_EQ(listen(":3001"), "0.0.0.0 3001");
  EXPECT_EQ(listen("3002"), "0.0.0.0 3002");
  EXPECT_EQ(listen("[::]:65535"), ":: 65535");
  EXPECT_EQ(listen("[fe80::1]:1"), "fe80::1 1");
}

TEST(Parsers, PathIsNormalised) {
  EXPECT_EQ(from_flags({"--server.path=/socket.io"}).server.path, "/socket.io/");
  EXPECT_EQ(from_flags({"--server.path=/"}).server.path, "/");
  EXPECT_EQ(from_flags({"--server.path=/a/b/"}).server.path, "/a/b/");
}

TEST(Parsers, CorsOrigins) {
  const auto origins = from_flags({"--server.cors_origins=https://A.example:8443/, http://b.example"}).server;
  EXPECT_EQ(origins.cors_origins, (std::vector<std::string>{"https://a.example:8443", "http://b.example"}));
  EXPECT_FALSE(origins.any_origin());
  EXPECT_TRUE(from_flags({"--server.cors_origins=https://a.example,*"}).server.any_origin());
  // An empty list allows no cross-origin request at all.
  EXPECT_TRUE(from_flags({"--server.cors_origins="}).server.cors_origins.empty());
}

TEST(Parsers, StoreAndRedisUrls) {
  for (const char* url : {"sqlite://herald.db", "sqlite:///var/lib/herald/h.db",
                          "sqlite://:memory:", "postgres://u:p@h:5432/d", "postgresql://h/d"})
    EXPECT_EQ(from_flags({std::string("--store.url=") + url}).store.url, url);
  EXPECT_EQ(from_flags({"--cluster.redis_url=redis://127.0.0.1:6379"}).cluster.redis_url,
            "redis://127.0.0.1:6379");
}

TEST(Parsers, EnumsAreCaseInsensitive) {
  const Config c = from_flags({"--auth.reject_mode=EVENT", "--log.level=Debug", "--log.format=Text"});
  EXPECT_EQ(c.auth.reject_mode, RejectMode::event);
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.log.format, core::LogFormat::text);
  EXPECT_EQ(from_flags({"--log.level=err"}).log.level, "error");
}

TEST(Parsers, SecretsAreKeptVerbatim) {
  EXPECT_EQ(from_flags({"--auth.jwt_secret= padded "}).auth.jwt_secret, " padded ");
}

// ---- TOML types ----

TEST(TomlTypes, IntegersAndStringsAreInterchangeable) {
  EXPECT_EQ(from_toml("[server]\nthreads = 2\n").server.threads, 2u);
  EXPECT_EQ(from_toml("[server]\nthreads = \"2\"\n").server.threads, 2u);
  EXPECT_EQ(from_toml("[server]\nlisten = 3005\n").server.listen_port, 3005);
  EXPECT_EQ(from_toml("[limits]\nmax_events_per_minute = 1_000_000\n").limits.max_events_per_minute,
            1'000'000u);
  EXPECT_EQ(from_toml("[auth]\njwt_secret = 1234\n").auth.jwt_secret, "1234");
  EXPECT_EQ(from_toml("[auth]\napi_keys = [\"a\", 7]\n").auth.api_keys, (std::vector<std::string>{"a", "7"}));
  // An integer is not a duration: the unit is part of the value.
  EXPECT_THAT(failure_of([] { from_toml("[server]\nping_interval = 30\n"); }).message,
              HasSubstr("\"30\" is not a duration"));
  EXPECT_THAT(failure_of([] { from_toml("[server]\nthreads = -1\n"); }).message,
              HasSubstr("\"-1\" is not a whole number"));
}

TEST(TomlTypes, ListsAsArraysOrCommaSeparatedStrings) {
  EXPECT_EQ(from_toml("[auth]\napi_keys = \"a,b\"\n").auth.api_keys, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(from_toml("[auth]\napi_keys = [\"a\", \"b\"]\n").auth.api_keys,
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(from_toml("[server]\ncors_origins = []\n").server.cors_origins, std::vector<std::string>{});
}

TEST(TomlTypes, OtherTypesAreRejected) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[server]\nthreads = 2.0\n", "not a floating-point number"},
      {"[server]\nthreads = true\n", "not a boolean"},
      {"[server]\nthreads = [2]\n", "expected a single value, not a list"},
      {"[server]\nlisten = 1979-05-27\n", "not a date or time"},
      {"[server]\ncors_origins = [[\"x\"]]\n", "expected an array of strings, not an array"},
      {"[auth]\napi_keys = [true]\n", "expected an array of strings, not a boolean"},
  };
  for (const auto& c : cases) {
    const std::string& toml = c.first;
    const std::string& problem = c.second;
    const auto f = failure_of([&] { from_toml(toml); });
    EXPECT_THAT(f.message, HasSubstr(problem)) << toml;
    EXPECT_THAT(f.message, HasSubstr("(from test.toml:2)")) << toml;
    EXPECT_FALSE(f.key.empty()) << toml;
  }
}

// ---- unknown keys ----

TEST(UnknownKeys, InTheFile) {
  auto f = failure_of([] { from_toml("[server]\npingInterval = \"1s\"\n"); });
  EXPECT_EQ(f.key, "server.pingInterval");
  EXPECT_EQ(f.message,
            "unknown key \"server.pingInterval\" (from test.toml:2); did you mean server.ping_interval?");
  f = failure_of([] { from_toml("[servre]\nlisten = \":1\"\n"); });
  EXPECT_THAT(f.message,
              HasSubstr("unknown key \"servre.listen\" (from test.toml:2); did you mean server.listen?"));
  f = failure_of([] { from_toml("threads = 2\n"); });
  EXPECT_THAT(f.message, HasSubstr("unknown key \"threads\" (from test.toml:1)"));
  f = failure_of([] { from_toml("[server.tls]\ncert = \"x\"\n"); });
  EXPECT_THAT(f.message, HasSubstr("unknown key \"server.tls\""));
  f = failure_of([] { from_toml("[metrics]\nenabled = 1\n"); });
  EXPECT_EQ(f.message, "unknown key \"metrics.enabled\" (from test.toml:2)");
}

TEST(UnknownKeys, InTheEnvironment) {
  const auto f = failure_of([] { from_env({"HERALD_SERVER_PINGINTERVAL=1s"}); });
  EXPECT_EQ(f.key, "server.pinginterval");
  EXPECT_EQ(f.message, "unknown key \"server.pinginterval\" (from HERALD_SERVER_PINGINTERVAL); did you mean "
                       "HERALD_SERVER_PING_INTERVAL?");
  EXPECT_THAT(failure_of([] { from_env({"HERALD_PORT=1"}); }).message, HasSubstr("(from HERALD_PORT)"));
}

TEST(UnknownKeys, InTheFlags) {
  const auto f = failure_of([] { from_flags({"--log.levl=debug"}); });
  EXPECT_EQ(f.key, "log.levl");
  EXPECT_EQ(f.message, "unknown key \"log.levl\" (from --log.levl); did you mean --log.level?");
  EXPECT_THAT(failure_of([] {
                from_flags({"--verbose", "1"});
              }).message,
              HasSubstr("unknown key \"verbose\""));
}

} // namespace
} // namespace herald::app
