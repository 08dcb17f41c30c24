#include "cli/commands.hpp"

#include <iostream>

namespace herald::cli {

int send(const app::Config&, const SendOptions&) {
  std::cerr << "herald send: the notification API is not available in this build yet\n";
  return 1;
}

} // namespace herald::cli
