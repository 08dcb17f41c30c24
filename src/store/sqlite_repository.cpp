#include "store/sqlite_repository.hpp"

#include "core/thread_name.hpp"
#include "store/checkpointer.hpp"
#include "store/connection.hpp"
#include "store/job_queue.hpp"
#include "store/migrations.hpp"
#include "store/queries.hpp"
#include "store/sqlite_url.hpp"

#include <future>

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

template <> bool ReceiptJob<Connection>::run(Connection& conn) {
  return record([&] { return queries::acknowledge(conn, user_id_, recipient_id_, at_); });
}

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
    : writer_conn_(std::move(writer)), reader_conn_(std::move(reader)),
      checkpointer_(std::move(checkpointer)),
      write_queue_(std::make_unique<JobQueue<Connection>>(options.write_queue_capacity, options.lazy_linger)),
      read_queue_(std::make_unique<JobQueue<Connection>>(options.read_queue_capacity)),
      max_batch_(options.max_batch == 0 ? 1 : options.max_batch) {
  writer_ = std::thread([this] {
    core::name_this_thread("herald-writer");
    writer_main();
  });
  reader_ = std::thread([this] {
    core::name_this_thread("herald-reader");
    reader_main();
  });
}

SqliteRepository::~SqliteRepository() { close(); }

void SqliteRepository::close() {
  write_queue_->close();
  read_queue_->close();
  // A store thread cannot join itself; the owner's later close() or destructor will.
  const auto self = std::this_thread::get_id();
  if (self == writer_.get_id() || self == reader_.get_id()) return;
  if (writer_.joinable()) writer_.join();
  if (reader_.joinable()) reader_.join();
  if (!closed_.exchange(true)) {
    // Closing the last connection checkpoints the WAL into the database file.
    checkpointer_.reset();
    reader_conn_.reset();
    writer_conn_.reset();
  }
}

SqliteStats SqliteRepository::stats() const {
  return SqliteStats{{write_batches_.load(), write_jobs_.load(), read_jobs_.load()},
                     checkpointer_ ? checkpointer_->checkpoints() : 0};
}

Connection& SqliteRepository::reader_conn() { return reader_conn_ ? *reader_conn_ : *writer_conn_; }

void SqliteRepository::submit(JobQueue<Connection>& queue, std::unique_ptr<Job<Connection>> job) {
  if (auto rejected = queue.push(std::move(job))) {
    rejected->reject(StoreError{StoreErrc::unavailable, "store queue is full or the store is closed"});
  }
}

template <class T, class Body> void SqliteRepository::write(Body body, Callback<T> done, bool lazy) {
  submit(*write_queue_,
         std::make_unique<TypedJob<Connection, T, Body>>(std::move(body), std::move(done), lazy));
}

template <class T, class Body> void SqliteRepository::read(Body body, Callback<T> done) {
  submit(*read_queue_, std::make_unique<TypedJob<Connection, T, Body>>(std::move(body), std::move(done)));
}

void SqliteRepository::writer_main() {
  std::vector<std::unique_ptr<Job<Connection>>> batch;
  while (write_queue_->pop_batch(batch, max_batch_)) {
    run_write_batch(batch);
    batch.clear();
  }
}

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
  write_batches_.fetch_add(1, std::memory_order_relaxed);
  write_jobs_.fetch_add(batch.size(), std::memory_order_relaxed);
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

void SqliteRepository::reader_main() {
  std::vector<std::unique_ptr<Job<Connection>>> batch;
  // Small batches keep a burst of reads from delaying the first of them.
  while (read_queue_->pop_batch(batch, 64)) {
    for (auto& job : batch) {
      std::optional<StoreError> begin_error;
      {
        Connection& c = reader_conn();
        std::lock_guard lock(c.mutex());
        // One read transaction per request: its queries (a page and its unread count)
        // see one snapshot, and the next request sees everything committed since.
        if (auto r = c.run("BEGIN"); r) {
          job->run(c);
          (void)c.run("COMMIT");
        } else {
          begin_error = r.error();
        }
      }
      read_jobs_.fetch_add(1, std::memory_order_relaxed);
      if (begin_error) {
        job->reject(std::move(*begin_error));
      } else {
        job->finish(nullptr);
      }
    }
    batch.clear();
  }
}

Result<int> SqliteRepository::migrate() {
  std::promise<Result<int>> promise;
  auto future = promise.get_future();
  write<int>([](Connection& c) { return apply_migrations(c); },
             [&promise](Result<int> r) { promise.set_value(std::move(r)); });
  return future.get();
}

void SqliteRepository::upsert_user(notify::UserUpdate update, Callback<notify::UpsertUserResult> done) {
  write<notify::UpsertUserResult>(
      [u = std::move(update)](Connection& c) { return queries::upsert_user(c, u); }, std::move(done));
}

void SqliteRepository::learn_user(notify::UserUpdate update, Callback<notify::UpsertUserResult> done) {
  write<notify::UpsertUserResult>(
      [u = std::move(update)](Connection& c) { return queries::upsert_user(c, u); }, std::move(done),
      /*lazy=*/true);
}

void SqliteRepository::get_user(std::string user_id, Callback<notify::User> done) {
  read<notify::User>([id = std::move(user_id)](Connection& c) { return queries::get_user(c, id); },
                     std::move(done));
}

void SqliteRepository::list_types(Callback<std::vector<notify::NotificationType>> done) {
  read<std::vector<notify::NotificationType>>([](Connection& c) { return queries::list_types(c); },
                                              std::move(done));
}

void SqliteRepository::create_type(notify::NotificationType type, Callback<notify::NotificationType> done) {
  write<notify::NotificationType>([t = std::move(type)](Connection& c) { return queries::create_type(c, t); },
                                  std::move(done));
}

void SqliteRepository::get_type(std::string type_id, Callback<notify::NotificationType> done) {
  read<notify::NotificationType>(
      [id = std::move(type_id)](Connection& c) { return queries::get_type(c, id); }, std::move(done));
}

void SqliteRepository::create_notification(notify::CreateNotificationRequest request,
                                           Callback<notify::CreatedNotification> done) {
  write<notify::CreatedNotification>(
      [r = std::move(request)](Connection& c) { return queries::create_notification(c, r); },
      std::move(done));
}

void SqliteRepository::list_inbox(notify::InboxQuery query, Callback<notify::InboxPage> done) {
  read<notify::InboxPage>([q = std::move(query)](Connection& c) { return queries::list_inbox(c, q); },
                          std::move(done));
}

void SqliteRepository::unread_count(std::string user_id, Callback<std::int64_t> done) {
  read<std::int64_t>([id = std::move(user_id)](Connection& c) { return queries::unread_count(c, id); },
                     std::move(done));
}

void SqliteRepository::mark_read(std::string user_id, std::string recipient_id, core::WallTime at,
                                 Callback<notify::ReadChange> done) {
  write<notify::ReadChange>([u = std::move(user_id), r = std::move(recipient_id),
                             at](Connection& c) { return queries::mark_read(c, u, r, at); },
                            std::move(done));
}

void SqliteRepository::mark_unread(std::string user_id, std::string recipient_id,
                                   Callback<notify::ReadChange> done) {
  write<notify::ReadChange>([u = std::move(user_id), r = std::move(recipient_id)](
                                Connection& c) { return queries::mark_unread(c, u, r); },
                            std::move(done));
}

void SqliteRepository::mark_all_read(std::string user_id, core::WallTime at, Callback<std::int64_t> done) {
  write<std::int64_t>(
      [u = std::move(user_id), at](Connection& c) { return queries::mark_all_read(c, u, at); },
      std::move(done));
}

void SqliteRepository::acknowledge(std::string user_id, std::string recipient_id, core::WallTime at,
                                   Callback<void> done) {
  submit(*write_queue_, std::make_unique<ReceiptJob<Connection>>(std::move(user_id), std::move(recipient_id),
                                                                 at, std::move(done)));
}

void SqliteRepository::record_sent(std::vector<std::string> recipient_ids, core::WallTime ack_deadline,
                                   Callback<std::int64_t> done) {
  write<std::int64_t>([ids = std::move(recipient_ids),
                       ack_deadline](Connection& c) { return queries::record_sent(c, ids, ack_deadline); },
                      std::move(done));
}

void SqliteRepository::due_deliveries(core::WallTime now, int limit,
                                      Callback<std::vector<notify::InboxItem>> done) {
  read<std::vector<notify::InboxItem>>(
      [now, limit](Connection& c) { return queries::due_deliveries(c, now, limit); }, std::move(done));
}

void SqliteRepository::update_delivery(std::string recipient_id, notify::DeliveryStatus status,
                                       std::optional<core::WallTime> next_attempt_at, Callback<bool> done) {
  write<bool>([r = std::move(recipient_id), status, next_attempt_at](
                  Connection& c) { return queries::update_delivery(c, r, status, next_attempt_at); },
              std::move(done));
}

void SqliteRepository::undelivered_for_user(std::string user_id, int limit,
                                            Callback<std::vector<notify::InboxItem>> done) {
  read<std::vector<notify::InboxItem>>(
      [u = std::move(user_id), limit](Connection& c) { return queries::undelivered_for_user(c, u, limit); },
      std::move(done));
}

void SqliteRepository::users_with_undelivered(Callback<std::vector<std::string>> done) {
  read<std::vector<std::string>>([](Connection& c) { return queries::users_with_undelivered(c); },
                                 std::move(done));
}

} // namespace herald::store
