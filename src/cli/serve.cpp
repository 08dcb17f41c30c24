#include "app/herald_server.hpp"
#include "cli/commands.hpp"

#include <iostream>

namespace herald::cli {

int serve(app::Config config, const std::string& port_file) {
  const auto host = config.server.listen_host == "0.0.0.0" ? std::string("localhost") : config.server.listen_host;
  const auto port = config.server.listen_port;
  app::HeraldServer server(std::move(config));
  std::cerr << "Herald is starting. To try it:\n"
            << "  token=$(herald token --user alice --dept eng)\n"
            << "  open http://" << host << ":" << port << "/?token=$token\n"
            << "  herald send --title Hello --content 'It *works*' --user alice\n";
  return server.run(port_file.empty() ? std::nullopt : std::optional<std::filesystem::path>(port_file));
}

} // namespace herald::cli
