#include "store/checkpointer.hpp"

#include "core/thread_name.hpp"

#include <spdlog/spdlog.h>

namespace herald::store {

notify::Result<std::unique_ptr<Checkpointer>>
Checkpointer::start(const std::string& path, const ConnectionOptions& options, Connection& writer) {
  auto conn = Connection::open(path, options);
  if (!conn) return conn.error();
  return std::unique_ptr<Checkpointer>(new Checkpointer(std::move(conn).value(), writer));
}

Checkpointer::Checkpointer(std::unique_ptr<Connection> conn, Connection& writer)
    : conn_(std::move(conn)), writer_(writer) {
  // Replaces the writer's automatic checkpoint (which is itself a WAL hook).
  sqlite3_wal_hook(writer_.handle(), &Checkpointer::on_commit, this);
  thread_ = std::thread([this] {
    core::name_this_thread("herald-checkpt");
    run();
  });
}

Checkpointer::~Checkpointer() {
  sqlite3_wal_hook(writer_.handle(), nullptr, nullptr);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

// On the writer's thread, after each commit: only a signal, never I/O.
int Checkpointer::on_commit(void* self, sqlite3*, const char*, int wal_pages) {
  if (wal_pages >= kWalPages) {
    auto* c = static_cast<Checkpointer*>(self);
    {
      std::lock_guard lock(c->mutex_);
      c->due_ = true;
    }
    c->wake_.notify_one();
  }
  return SQLITE_OK;
}

void Checkpointer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return due_ || stopping_; });
    if (stopping_) return;
    due_ = false;
    lock.unlock();
    checkpoint();
    lock.lock();
  }
}

void Checkpointer::checkpoint() {
  std::lock_guard lock(conn_->mutex());
  // PASSIVE: copies what no reader still needs and never blocks the writer; the writer's
  // next transaction then starts the WAL over from its beginning.
  int wal_frames = 0, copied = 0;
  const int rc =
      sqlite3_wal_checkpoint_v2(conn_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_frames, &copied);
  if (rc == SQLITE_OK) {
    checkpoints_.fetch_add(1, std::memory_order_relaxed);
  } else if (rc != SQLITE_BUSY) {
    spdlog::warn("store: WAL checkpoint failed: {}", sqlite3_errmsg(conn_->handle()));
  }
}

} // namespace herald::store
