#pragma once
// What every repository's threads and queues share, with the reasons for the defaults.

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace herald::store {

struct StoreOptions {
  // Requests waiting for the writer. 4096 absorbs a burst of API calls while a batch
  // commits; beyond that the API answers 503 rather than queueing without limit.
  std::size_t write_queue_capacity = 4096;
  // Requests waiting for the reader.
  std::size_t read_queue_capacity = 4096;
  // At most this many requests share one transaction, bounding the latency of a batch.
  std::size_t max_batch = 4096;
  // How long a request nobody waits on (a user learnt from a token) may wait for company:
  // a ramp of new users then costs one transaction per few milliseconds, not one each.
  std::chrono::microseconds lazy_linger{5000};
  // ... or until this many are queued.
  std::size_t lazy_batch = 256;
  // How long a notification to departments or everyone may wait for company (Patience::bulk).
  // Ten broadcasts posted at once to 19,000 sockets, server on one core: the first used to
  // commit alone and the other nine together, so each socket got two writes; with this wait
  // the ten commit together and leave in one write per socket (herald-bench burst: 38,000
  // sendmsg calls became 19,000; 300 us was too short for the loop to pass all ten to the
  // store). A broadcast's fan-out takes tens of milliseconds: 1 ms is noise beside it.
  std::chrono::microseconds bulk_linger{1000};
  // `herald serve` migrates at start; `herald migrate` may open with false and call
  // migrate() itself.
  bool migrate_on_open = true;
};

struct StoreStats {
  std::uint64_t write_batches = 0; // transactions committed or attempted by the writer
  std::uint64_t write_jobs = 0;    // write requests run
  std::uint64_t read_jobs = 0;     // read requests run
};

} // namespace herald::store
