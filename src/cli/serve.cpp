#include "app/herald_server.hpp"
#include "cli/commands.hpp"
#include "core/descriptors.hpp"

namespace herald::cli {

int serve(app::Config config, const std::string& port_file) {
  // Before the server's threads exist (see why there).
  core::prepare_descriptor_table();
  app::HeraldServer server(std::move(config));
  return server.run(port_file.empty() ? std::nullopt : std::optional<std::filesystem::path>(port_file));
}

} // namespace herald::cli
