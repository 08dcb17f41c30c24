#include "cli/commands.hpp"
#include "store/sqlite_repository.hpp"

#include <iostream>

namespace herald::cli {

int migrate(const app::Config& config) {
  if (!config.store.url.starts_with("sqlite:")) {
    std::cerr << "herald migrate: store.url: only sqlite:// stores are supported by this build\n";
    return 2;
  }
  store::SqliteOptions options;
  options.migrate_on_open = false;
  auto repo = store::SqliteRepository::open(config.store.url, options);
  if (!repo) {
    std::cerr << "herald migrate: cannot open " << config.store.url << ": " << repo.error().message << "\n";
    return 1;
  }
  auto version = (*repo)->migrate();
  (*repo)->close();
  if (!version) {
    std::cerr << "herald migrate: " << version.error().message << "\n";
    return 1;
  }
  std::cout << "schema version " << *version << " (" << config.store.url << ")\n";
  return 0;
}

} // namespace herald::cli
