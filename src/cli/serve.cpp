#include "app/herald_server.hpp"
#include "cli/commands.hpp"

namespace herald::cli {

int serve(app::Config config, const std::string& port_file) {
  app::HeraldServer server(std::move(config));
  return server.run(port_file.empty() ? std::nullopt : std::optional<std::filesystem::path>(port_file));
}

} // namespace herald::cli
