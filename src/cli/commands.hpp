#pragma once
// The subcommands of `herald`. Each returns the process exit code; configuration errors
// are thrown as app::ConfigError and reported by main.

#include "app/config.hpp"

#include <string>
#include <vector>

namespace herald::cli {

int serve(app::Config config, const std::string& port_file);

struct TokenOptions {
  std::string user;
  std::vector<std::string> departments;
  std::vector<std::string> roles;
  std::string ttl = "1h";
  std::string username;
  std::string display_name;
};
// Prints a token signed with the configured HS256 secret.
int token(const app::Config& config, const TokenOptions& options);
// The token itself (also used by `send` for its service identity).
std::string mint_token(const app::Config& config, const TokenOptions& options);

struct SendOptions {
  std::string title;
  std::string content;
  std::vector<std::string> users;
  std::vector<std::string> departments;
  bool broadcast = false;
  std::string type;
  std::string url;
};
int send(const app::Config& config, const SendOptions& options);

int migrate(const app::Config& config);

} // namespace herald::cli
