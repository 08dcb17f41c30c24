#pragma once
// Tuning of PgRepository, with the reasons for the defaults.

#include "store/store_options.hpp"

#include <chrono>

namespace herald::store {

struct PgOptions : StoreOptions {
  // How long due records claimed by due_deliveries stay away from the other nodes. The
  // claiming node replaces it with the real next attempt within milliseconds; it matters
  // only when that node dies in between: its records are then retried this much later.
  std::chrono::milliseconds claim_lease{60'000};
};

using PgStats = StoreStats;

} // namespace herald::store
