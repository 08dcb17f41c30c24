// herald: the notification service's one binary.
//   herald serve   [--config F] [--section.key=value ...] [--port-file F]
//   herald token   --user ID [--dept D]... [--ttl 1h] [--role R]... [config flags]
//   herald send    --title T --content C [--user ID]... [--dept D]... [--broadcast] [config flags]
//   herald migrate [config flags]

#include "app/config.hpp"
#include "app/herald_server.hpp"
#include "cli/commands.hpp"
#include "core/log.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

extern char** environ;

using namespace herald;

namespace {

app::Config load(const std::vector<std::string>& extras) { return app::load_config(extras, environ); }

void print_config_keys() {
  std::cout << "\nConfiguration keys (file key, HERALD_* variable, --flag):\n";
  for (const auto& k : app::config_keys()) {
    std::cout << "  " << k.flag_name() << "  (" << k.env_name() << ")";
    if (!k.default_value.empty()) std::cout << "  default " << k.default_value;
    std::cout << "\n      " << k.description << "\n";
  }
}

} // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Herald: real-time notifications over Socket.IO"};
  cli.require_subcommand(1);
  cli.set_help_all_flag("--help-all", "Show every command's options");

  auto* serve = cli.add_subcommand("serve", "Run the server");
  serve->allow_extras();
  std::string port_file;
  serve->add_option("--port-file", port_file, "Write the bound port to this file (for tests and scripts)");
  bool list_keys = false;
  serve->add_flag("--list-keys", list_keys, "List every configuration key and exit");

  cli::TokenOptions token_opts;
  auto* token = cli.add_subcommand("token", "Print a development JWT signed with the configured secret");
  token->allow_extras();
  token->add_option("--user", token_opts.user, "User id (the sub claim)")->required();
  token->add_option("--dept", token_opts.departments, "Department (repeatable)");
  token->add_option("--role", token_opts.roles, "Role, e.g. service (repeatable)");
  token->add_option("--ttl", token_opts.ttl, "Lifetime, e.g. 1h, 30m")->default_val("1h");
  token->add_option("--username", token_opts.username, "username claim");
  token->add_option("--display-name", token_opts.display_name, "display_name claim");

  cli::SendOptions send_opts;
  auto* send = cli.add_subcommand("send", "Create a notification through the configured server's API");
  send->allow_extras();
  send->add_option("--title", send_opts.title, "Title")->required();
  send->add_option("--content", send_opts.content, "Content (Markdown)")->required();
  send->add_option("--user", send_opts.users, "Recipient user (repeatable)");
  send->add_option("--dept", send_opts.departments, "Recipient department (repeatable)");
  send->add_flag("--broadcast", send_opts.broadcast, "Send to everyone");
  send->add_option("--type", send_opts.type, "Notification type id");
  send->add_option("--url", send_opts.url, "Server base URL (default: from server.listen)");

  auto* migrate = cli.add_subcommand("migrate", "Apply the store's schema migrations");
  migrate->allow_extras();

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }

  try {
    if (serve->parsed()) {
      if (list_keys) {
        print_config_keys();
        return 0;
      }
      auto config = load(serve->remaining());
      core::configure_logging(config.log.level, config.log.format);
      return cli::serve(std::move(config), port_file);
    }
    if (token->parsed()) return cli::token(load(token->remaining()), token_opts);
    if (send->parsed()) return cli::send(load(send->remaining()), send_opts);
    if (migrate->parsed()) return cli::migrate(load(migrate->remaining()));
  } catch (const app::ConfigError& e) {
    std::cerr << "herald: configuration error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "herald: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
