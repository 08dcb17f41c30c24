#include "store/pg_repository.hpp"

#include "store/job_queue.hpp"
#include "store/pg_connection.hpp"
#include "store/pg_migrations.hpp"
#include "store/pg_queries.hpp"
#include "store/pg_url.hpp"

namespace herald::store {

using notify::Callback;
using notify::Result;
using notify::StoreErrc;
using notify::StoreError;

Result<std::unique_ptr<PgRepository>> PgRepository::open(std::string_view url, PgOptions options) {
  if (!is_pg_url(url))
    return StoreError{StoreErrc::invalid, "not a PostgreSQL URL (postgres://...): " + std::string(url)};
  auto writer = PgConnection::open(std::string(url));
  if (!writer) return writer.error();
  if (options.migrate_on_open) {
    PgConnection& c = *writer.value();
    if (auto r = c.exec("BEGIN"); !r) return r.error();
    auto migrated = apply_pg_migrations(c);
    if (!migrated) {
      (void)c.exec("ROLLBACK");
      return migrated.error();
    }
    if (auto r = c.exec("COMMIT"); !r) return r.error();
  }
  auto reader = PgConnection::open(std::string(url));
  if (!reader) return reader.error();
  return std::unique_ptr<PgRepository>(
      new PgRepository(std::move(writer).value(), std::move(reader).value(), options));
}

PgRepository::PgRepository(std::unique_ptr<PgConnection> writer, std::unique_ptr<PgConnection> reader,
                           const PgOptions& options)
    : QueuedRepository(options), writer_conn_(std::move(writer)), reader_conn_(std::move(reader)),
      claim_lease_(options.claim_lease) {
  start_threads();
}

PgRepository::~PgRepository() { close(); }

void PgRepository::close() {
  if (stop_threads()) {
    reader_conn_.reset();
    writer_conn_.reset();
  }
}

PgStats PgRepository::stats() const { return queue_stats(); }

void PgRepository::run_write_batch(std::vector<std::unique_ptr<Job<PgConnection>>>& batch) {
  std::optional<StoreError> commit_error;
  PgConnection& c = *writer_conn_;
  if (auto r = c.reconnect(); !r) {
    commit_error = r.error();
  } else if (auto begin = c.exec("BEGIN"); !begin) {
    commit_error = begin.error();
  } else {
    for (std::size_t i = 0; i < batch.size() && !commit_error;)
      i = run_in_savepoint(batch, i, commit_error);
    if (!commit_error && c.in_failed_transaction())
      commit_error = StoreError{StoreErrc::io, "transaction aborted by a failing request"};
    if (!commit_error) {
      if (auto r = c.exec("COMMIT"); !r) commit_error = r.error();
    }
    if (commit_error && c.connected()) (void)c.exec("ROLLBACK");
  }
  // Every request of the batch learns that its work is undone when the commit failed.
  for (auto& job : batch)
    job->finish(commit_error ? &*commit_error : nullptr);
}

std::size_t PgRepository::run_in_savepoint(std::vector<std::unique_ptr<Job<PgConnection>>>& batch,
                                           std::size_t i, std::optional<StoreError>& broken) {
  PgConnection& c = *writer_conn_;
  // Any failing statement aborts a PostgreSQL transaction: every request, even a single
  // statement, runs under a savepoint that takes it back alone.
  auto savepoint = [&]() -> bool {
    if (auto r = c.exec("SAVEPOINT request"); !r) {
      broken = r.error();
      return false;
    }
    return true;
  };
  auto settle = [&](bool ok) {
    if (!c.connected()) {
      broken = StoreError{StoreErrc::unavailable, "PostgreSQL connection lost"};
      return;
    }
    if (!ok) {
      if (auto r = c.exec("ROLLBACK TO SAVEPOINT request"); !r) broken = r.error();
    }
    if (!broken) {
      if (auto r = c.exec("RELEASE SAVEPOINT request"); !r) broken = r.error();
    }
  };
  std::size_t end = i;
  while (end < batch.size() && batch[end]->as_receipt())
    ++end;
  if (end - i > 1) {
    // A run of receipts: one statement for all of them.
    std::vector<queries::Receipt> receipts;
    receipts.reserve(end - i);
    for (std::size_t k = i; k < end; ++k) {
      const auto& r = *batch[k]->as_receipt();
      receipts.push_back({r.user_id(), r.recipient_id(), r.at()});
    }
    if (!savepoint()) return end;
    auto found = queries::acknowledge_all(c, receipts);
    settle(found.ok());
    if (broken) return end;
    if (found) {
      for (std::size_t k = i; k < end; ++k) {
        batch[k]->as_receipt()->set_result(
            (*found)[k - i] ? Result<void>{}
                            : Result<void>(StoreError{StoreErrc::not_found, "no such recipient record"}));
      }
      return end;
    }
    // The statement failed and was taken back: the receipts run one by one, so that each
    // gets its own outcome.
    for (std::size_t k = i; k < end && !broken; ++k) {
      if (!savepoint()) break;
      settle(batch[k]->run(c));
    }
    return end;
  }
  if (!savepoint()) return i + 1;
  settle(batch[i]->run(c));
  return i + 1;
}

std::optional<StoreError> PgRepository::run_read(Job<PgConnection>& job) {
  PgConnection& c = *reader_conn_;
  // One snapshot per request: a page and its unread count agree with each other.
  auto begin = c.reconnect();
  if (begin) begin = c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  if (!begin) return begin.error();
  job.run(c);
  if (c.connected()) (void)c.exec("COMMIT");
  return std::nullopt;
}

Result<int> PgRepository::migrate() {
  return write_and_wait([](PgConnection& c) { return apply_pg_migrations(c); });
}

void PgRepository::due_deliveries(core::WallTime now, int limit,
                                  Callback<std::vector<notify::InboxItem>> done) {
  write<std::vector<notify::InboxItem>>(
      [now, limit, lease = claim_lease_](PgConnection& c) {
        return queries::claim_due_deliveries(c, now, limit, lease);
      },
      std::move(done));
}

} // namespace herald::store
