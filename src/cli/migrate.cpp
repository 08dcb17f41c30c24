#include "cli/commands.hpp"

#include <iostream>

namespace herald::cli {

int migrate(const app::Config&) {
  std::cerr << "herald migrate: the store is not available in this build yet\n";
  return 1;
}

} // namespace herald::cli
