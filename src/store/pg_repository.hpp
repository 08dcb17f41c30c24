#pragma once
// notify::Repository on PostgreSQL, for several nodes sharing one database. The same
// shape as SqliteRepository: one writer thread runs every queued write in one transaction
// (group commit), each under its own SAVEPOINT so that a failing request rolls back alone;
// one reader thread answers reads on its own connection. Both queues are bounded: a full
// queue answers unavailable. A lost connection fails the requests it was running with
// unavailable and is dialled again for the next one.

#include "store/pg_options.hpp"
#include "store/queued_repository.hpp"

#include <chrono>
#include <memory>
#include <string_view>

namespace herald::store {

class PgConnection;

class PgRepository final : public QueuedRepository<PgConnection> {
public:
  // Connects to the database named by `url` (postgres://user:pass@host:port/db), migrates
  // it when options.migrate_on_open, and starts the store threads. invalid for another
  // scheme; unavailable when the server cannot be reached.
  static notify::Result<std::unique_ptr<PgRepository>> open(std::string_view url, PgOptions options = {});
  ~PgRepository() override;

  // Applies missing migrations through the writer; answers the schema version. Blocks;
  // never call it from a store callback.
  notify::Result<int> migrate();
  // Counters for metrics and tests.
  PgStats stats() const;

  // Also claims the records it answers for this node (see claim_due_deliveries): it runs
  // on the writer, in a write transaction.
  void due_deliveries(core::WallTime now, int limit,
                      notify::Callback<std::vector<notify::InboxItem>> done) override;
  // Other nodes write the same database.
  bool shared() const override { return true; }
  void close() override;

private:
  PgRepository(std::unique_ptr<PgConnection> writer, std::unique_ptr<PgConnection> reader,
               const PgOptions& options);

  // Runs one group-commit transaction over `batch`, then delivers every outcome.
  void run_write_batch(std::vector<JobPtr>& batch) override;
  std::optional<notify::StoreError> run_read(Job<PgConnection>& job) override;
  // Runs batch[i], or the run of receipts starting there, in the open transaction under
  // a savepoint; answers the index after what it ran. Sets `broken` when the transaction
  // cannot go on (connection lost, savepoint refused).
  std::size_t run_in_savepoint(std::vector<std::unique_ptr<Job<PgConnection>>>& batch, std::size_t i,
                               std::optional<notify::StoreError>& broken);

  std::unique_ptr<PgConnection> writer_conn_;
  std::unique_ptr<PgConnection> reader_conn_;
  std::chrono::milliseconds claim_lease_;
};

} // namespace herald::store
