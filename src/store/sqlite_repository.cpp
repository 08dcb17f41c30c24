#include "store/sqlite_repository.hpp"

#include "store/checkpointer.hpp"
#include "store/connection.hpp"
#include "store/job_queue.hpp"
#include "store/migrations.hpp"
#include "store/queries.hpp"
#include "store/sqlite_url.hpp"

namespace herald::store {

using notify::Callback;
using notify::Result;
using notify::StoreErrc;
using notify::StoreError;

namespace {

// Runs `body` inside BEGIN IMMEDIATE ... COMMIT on `conn`, outside the store threads.
template <class T, class Body> Result<T> in_write_transaction(Connection& conn, Body body) {
  if (auto r = conn.exec("BEGIN IMMEDIATE"); !r) return r.error();
  Result<T> result = body(conn);
  if (result.ok()) {
    if (auto r = conn.exec("COMMIT"); !r) {
      (void)conn.exec("ROLLBACK");
      return r.error();
    }
  } else {
    (void)conn.exec("ROLLBACK");
  }
  return result;
}

} // namespace

Result<std::unique_ptr<SqliteRepository>> SqliteRepository::open(std::string_view url,
                                                                 SqliteOptions options) {
  const auto path = sqlite_path_from_url(url);
  if (!path) return StoreError{StoreErrc::invalid, "not a SQLite URL (sqlite://path): " + std::string(url)};
  ConnectionOptions conn_options{options.busy_timeout, options.fsync_every_commit, false};
  auto writer = Connection::open(*path, conn_options);
  if (!writer) return writer.error();
  if (options.migrate_on_open) {
    auto migrated =
        in_write_transaction<int>(*writer.value(), [](Connection& c) { return apply_migrations(c); });
    if (!migrated) return migrated.error();
  }
  // A :memory: database exists only for the connection that created it, so its reads go
  // through the writer's connection (under its mutex, between write transactions).
  std::unique_ptr<Connection> reader;
  std::unique_ptr<Checkpointer> checkpointer;
  if (*path != ":memory:") {
    auto c = Checkpointer::start(*path, conn_options, *writer.value());
    if (!c) return c.error();
    checkpointer = std::move(c).value();
    conn_options.query_only = true;
    auto r = Connection::open(*path, conn_options);
    if (!r) return r.error();
    reader = std::move(r).value();
  }
  return std::unique_ptr<SqliteRepository>(
      new SqliteRepository(std::move(writer).value(), std::move(reader), std::move(checkpointer), options));
}

SqliteRepository::SqliteRepository(std::unique_ptr<Connection> writer, std::unique_ptr<Connection> reader,
                                   std::unique_ptr<Checkpointer> checkpointer, const SqliteOptions& options)
    : QueuedRepository(options), writer_conn_(std::move(writer)), reader_conn_(std::move(reader)),
      checkpointer_(std::move(checkpointer)) {
  start_threads();
}

SqliteRepository::~SqliteRepository() { close(); }

void SqliteRepository::close() {
  if (stop_threads()) {
    // Closing the last connection checkpoints the WAL into the database file.
    checkpointer_.reset();
    reader_conn_.reset();
    writer_conn_.reset();
  }
}

SqliteStats SqliteRepository::stats() const {
  return SqliteStats{queue_stats(), checkpointer_ ? checkpointer_->checkpoints() : 0};
}

Connection& SqliteRepository::reader_conn() { return reader_conn_ ? *reader_conn_ : *writer_conn_; }

void SqliteRepository::run_write_batch(std::vector<std::unique_ptr<Job<Connection>>>& batch) {
  std::optional<StoreError> commit_error;
  {
    Connection& c = *writer_conn_;
    std::lock_guard lock(c.mutex());
    if (auto r = c.run("BEGIN IMMEDIATE"); !r) {
      commit_error = r.error();
    } else {
      for (std::size_t i = 0; i < batch.size();) {
        // A run of receipts: one statement (which SQLite undoes alone if it fails).
        std::size_t run_end = i;
        while (run_end < batch.size() && batch[run_end]->as_receipt())
          ++run_end;
        if (run_end - i > 1) {
          run_receipts(c, batch, i, run_end);
          i = run_end;
          if (sqlite3_get_autocommit(c.handle())) {
            commit_error = StoreError{StoreErrc::io, "transaction aborted by a failing request"};
            break;
          }
          continue;
        }
        auto& job = batch[i++];
        const bool savepoint = !job->single_statement();
        if (auto r = savepoint ? c.run("SAVEPOINT request") : Result<void>{}; !r) {
          commit_error = r.error();
          break;
        }
        const bool ok = job->run(c);
        if (sqlite3_get_autocommit(c.handle())) {
          // Some errors (disk full, I/O) make SQLite roll back the whole transaction:
          // every earlier request of the batch is undone too, so all of them fail.
          commit_error = StoreError{StoreErrc::io, "transaction aborted by a failing request"};
          break;
        }
        if (!savepoint) continue;
        if (!ok) (void)c.run("ROLLBACK TO request");
        (void)c.run("RELEASE request");
      }
      if (!commit_error) {
        if (auto r = c.run("COMMIT"); !r) commit_error = r.error();
      }
      if (commit_error && !sqlite3_get_autocommit(c.handle())) (void)c.run("ROLLBACK");
    }
  }
  // Outside the lock: a callback may take its time or submit new requests.
  for (auto& job : batch)
    job->finish(commit_error ? &*commit_error : nullptr);
}

void SqliteRepository::run_receipts(Connection& c, std::vector<std::unique_ptr<Job<Connection>>>& batch,
                                    std::size_t begin, std::size_t end) {
  std::vector<queries::Receipt> receipts;
  receipts.reserve(end - begin);
  for (std::size_t i = begin; i < end; ++i) {
    const auto& r = *batch[i]->as_receipt();
    receipts.push_back({r.user_id(), r.recipient_id(), r.at()});
  }
  auto found = queries::acknowledge_all(c, receipts);
  if (!found && !sqlite3_get_autocommit(c.handle())) {
    // The statement failed and SQLite undid it alone (malformed input, say): the receipts
    // run one by one, so that each gets its own outcome as before.
    for (std::size_t i = begin; i < end && !sqlite3_get_autocommit(c.handle()); ++i)
      batch[i]->run(c);
    return;
  }
  for (std::size_t i = begin; i < end; ++i) {
    ReceiptJob<Connection>& job = *batch[i]->as_receipt();
    if (!found) {
      job.set_result(found.error());
    } else if ((*found)[i - begin]) {
      job.set_result({});
    } else {
      job.set_result(StoreError{StoreErrc::not_found, "no such recipient record"});
    }
  }
}

std::optional<StoreError> SqliteRepository::run_read(Job<Connection>& job) {
  Connection& c = reader_conn();
  std::lock_guard lock(c.mutex());
  // One read transaction per request: its queries (a page and its unread count) see one
  // snapshot, and the next request sees everything committed since.
  auto begin = c.run("BEGIN");
  if (!begin) return begin.error();
  job.run(c);
  (void)c.run("COMMIT");
  return std::nullopt;
}

Result<int> SqliteRepository::migrate() {
  return write_and_wait([](Connection& c) { return apply_migrations(c); });
}

void SqliteRepository::due_deliveries(core::WallTime now, int limit,
                                      Callback<std::vector<notify::InboxItem>> done) {
  read<std::vector<notify::InboxItem>>(
      [now, limit](Connection& c) { return queries::due_deliveries(c, now, limit); }, std::move(done));
}

} // namespace herald::store
