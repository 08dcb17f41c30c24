#pragma once
// notify::Repository on SQLite. One writer thread takes every queued write at once and
// runs them in one transaction (group commit), each under its own SAVEPOINT so that a
// failing request rolls back alone; one reader thread answers reads on its own connection
// beside the writer (WAL). Both queues are bounded: a full queue answers unavailable.

#include "store/queued_repository.hpp"
#include "store/sqlite_options.hpp"

#include <memory>
#include <string_view>

namespace herald::store {

class Checkpointer;
class Connection;

class SqliteRepository final : public QueuedRepository<Connection> {
public:
  // Opens the database named by `url` (see sqlite_path_from_url), migrates it when
  // options.migrate_on_open, and starts the store threads. invalid for a non-SQLite URL.
  static notify::Result<std::unique_ptr<SqliteRepository>> open(std::string_view url,
                                                                SqliteOptions options = {});
  ~SqliteRepository() override;

  // Applies missing migrations through the writer; answers the schema version. Blocks;
  // never call it from a store callback.
  notify::Result<int> migrate();
  // Counters for metrics and tests.
  SqliteStats stats() const;

  // Runs on the reader: nothing is claimed, as no other process retries these records.
  void due_deliveries(core::WallTime now, int limit,
                      notify::Callback<std::vector<notify::InboxItem>> done) override;
  void close() override;

private:
  SqliteRepository(std::unique_ptr<Connection> writer, std::unique_ptr<Connection> reader,
                   std::unique_ptr<Checkpointer> checkpointer, const SqliteOptions& options);

  // Runs one group-commit transaction over `batch`, then delivers every outcome.
  void run_write_batch(std::vector<JobPtr>& batch) override;
  std::optional<notify::StoreError> run_read(Job<Connection>& job) override;
  // Applies the receipts batch[begin, end) in one statement and records each outcome.
  void run_receipts(Connection& c, std::vector<std::unique_ptr<Job<Connection>>>& batch, std::size_t begin,
                    std::size_t end);
  Connection& reader_conn();

  std::unique_ptr<Connection> writer_conn_;
  std::unique_ptr<Connection> reader_conn_;    // null for :memory:, whose reads share the writer's
  std::unique_ptr<Checkpointer> checkpointer_; // null for :memory:
};

} // namespace herald::store
