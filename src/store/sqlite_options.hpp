#pragma once
// Tuning of SqliteRepository, with the reasons for the defaults.

#include "store/store_options.hpp"

#include <chrono>
#include <cstdint>

namespace herald::store {

struct SqliteOptions : StoreOptions {
  // synchronous=FULL: survive power loss too, at an fsync per batch. NORMAL (the
  // default) already keeps every commit through a kill -9 of the process.
  bool fsync_every_commit = false;
  // How long a connection waits for a lock held by another process on the same file.
  std::chrono::milliseconds busy_timeout{5000};
};

struct SqliteStats : StoreStats {
  std::uint64_t checkpoints = 0; // WAL checkpoints by the background checkpointer
};

} // namespace herald::store
