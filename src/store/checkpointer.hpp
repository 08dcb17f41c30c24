#pragma once
// Copies the WAL back into the database file on a thread of its own. SQLite's automatic
// checkpoint runs inside the COMMIT that takes the WAL past 1,000 pages, fsync included,
// so about one commit in a hundred waited milliseconds for it: that was the 99th
// percentile of API-to-receipt latency. Here the writer's commits only count pages.

#include "store/connection.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

namespace herald::store {

class Checkpointer {
public:
  // Opens a connection of its own to `path`, takes over `writer`'s automatic checkpoints
  // and starts the thread. `writer` must outlive the Checkpointer.
  static notify::Result<std::unique_ptr<Checkpointer>>
  start(const std::string& path, const ConnectionOptions& options, Connection& writer);
  ~Checkpointer(); // gives the writer its hook back and ends the thread
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  std::uint64_t checkpoints() const { return checkpoints_.load(std::memory_order_relaxed); }

  // WAL pages (4 KiB each) that start a checkpoint: ten times SQLite's default (PRAGMA
  // wal_autocheckpoint). A checkpoint copies each page once however many commits rewrote
  // it, and broadcasts and receipts rewrite the same index pages commit after commit, so
  // copying less often cut ~8% of the CPU per inserted recipient and per receipt (store
  // bench, final checkpoint included). The cost: a WAL of up to ~40 MiB, read back in
  // full when the database is opened after a crash.
  static constexpr int kWalPages = 10000;

private:
  Checkpointer(std::unique_ptr<Connection> conn, Connection& writer);
  static int on_commit(void* self, sqlite3* db, const char* schema, int wal_pages);
  void run();
  void checkpoint();

  std::unique_ptr<Connection> conn_;
  Connection& writer_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool due_ = false;
  bool stopping_ = false;
  std::atomic<std::uint64_t> checkpoints_{0};
  std::thread thread_;
};

} // namespace herald::store
