#include "cli/commands.hpp"
#include "store/pg_repository.hpp"
#include "store/pg_url.hpp"
#include "store/sqlite_repository.hpp"

#include <iostream>

namespace herald::cli {
namespace {

// Opens the store without migrating it, migrates it, and reports the schema version.
template <class Repo, class Options> int migrate_store(const app::Config& config, Options options) {
  options.migrate_on_open = false;
  auto repo = Repo::open(config.store.url, options);
  if (!repo) {
    std::cerr << "herald migrate: cannot open " << app::redact_url(config.store.url) << ": "
              << repo.error().message << "\n";
    return 1;
  }
  auto version = (*repo)->migrate();
  (*repo)->close();
  if (!version) {
    std::cerr << "herald migrate: " << version.error().message << "\n";
    return 1;
  }
  std::cout << "schema version " << *version << " (" << app::redact_url(config.store.url) << ")\n";
  return 0;
}

} // namespace

int migrate(const app::Config& config) {
  if (store::is_pg_url(config.store.url))
    return migrate_store<store::PgRepository>(config, store::PgOptions{});
  return migrate_store<store::SqliteRepository>(config, store::SqliteOptions{});
}

} // namespace herald::cli
