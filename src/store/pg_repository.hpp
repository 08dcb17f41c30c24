#pragma once
// notify::Repository on PostgreSQL, for several nodes sharing one database. The same
// shape as SqliteRepository: one writer thread runs every queued write in one transaction
// (group commit), each under its own SAVEPOINT so that a failing request rolls back alone;
// one reader thread answers reads on its own connection. Both queues are bounded: a full
// queue answers unavailable. A lost connection fails the requests it was running with
// unavailable and is dialled again for the next one.

#include "notify/repository.hpp"
#include "store/pg_options.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <thread>

namespace herald::store {

class PgConnection;
template <class Conn> class Job;
template <class Conn> class JobQueue;

class PgRepository final : public notify::Repository {
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

  void upsert_user(notify::UserUpdate update, notify::Callback<notify::UpsertUserResult> done) override;
  void learn_user(notify::UserUpdate update, notify::Callback<notify::UpsertUserResult> done) override;
  void get_user(std::string user_id, notify::Callback<notify::User> done) override;
  void list_types(notify::Callback<std::vector<notify::NotificationType>> done) override;
  void create_type(notify::NotificationType type, notify::Callback<notify::NotificationType> done) override;
  void get_type(std::string type_id, notify::Callback<notify::NotificationType> done) override;
  void create_notification(notify::CreateNotificationRequest request,
                           notify::Callback<notify::CreatedNotification> done) override;
  void list_inbox(notify::InboxQuery query, notify::Callback<notify::InboxPage> done) override;
  void unread_count(std::string user_id, notify::Callback<std::int64_t> done) override;
  void mark_read(std::string user_id, std::string recipient_id, core::WallTime at,
                 notify::Callback<notify::ReadChange> done) override;
  void mark_unread(std::string user_id, std::string recipient_id,
                   notify::Callback<notify::ReadChange> done) override;
  void mark_all_read(std::string user_id, core::WallTime at, notify::Callback<std::int64_t> done) override;
  void acknowledge(std::string user_id, std::string recipient_id, core::WallTime at,
                   notify::Callback<void> done) override;
  void record_sent(std::vector<std::string> recipient_ids, core::WallTime ack_deadline,
                   notify::Callback<std::int64_t> done) override;
  // Also claims the records it answers for this node (see claim_due_deliveries): it runs
  // on the writer, in a write transaction.
  void due_deliveries(core::WallTime now, int limit,
                      notify::Callback<std::vector<notify::InboxItem>> done) override;
  void update_delivery(std::string recipient_id, notify::DeliveryStatus status,
                       std::optional<core::WallTime> next_attempt_at, notify::Callback<bool> done) override;
  void undelivered_for_user(std::string user_id, int limit,
                            notify::Callback<std::vector<notify::InboxItem>> done) override;
  void users_with_undelivered(notify::Callback<std::vector<std::string>> done) override;
  // Other nodes write the same database.
  bool shared() const override { return true; }
  void close() override;

private:
  PgRepository(std::unique_ptr<PgConnection> writer, std::unique_ptr<PgConnection> reader,
               const PgOptions& options);

  template <class T, class Body> void write(Body body, notify::Callback<T> done, bool lazy = false);
  template <class T, class Body> void read(Body body, notify::Callback<T> done);
  void submit(JobQueue<PgConnection>& queue, std::unique_ptr<Job<PgConnection>> job);
  void writer_main();
  void reader_main();
  // Runs one group-commit transaction over `batch`, then delivers every outcome.
  void run_write_batch(std::vector<std::unique_ptr<Job<PgConnection>>>& batch);
  // Runs batch[i], or the run of receipts starting there, in the open transaction under
  // a savepoint; answers the index after what it ran. Sets `broken` when the transaction
  // cannot go on (connection lost, savepoint refused).
  std::size_t run_in_savepoint(std::vector<std::unique_ptr<Job<PgConnection>>>& batch, std::size_t i,
                               std::optional<notify::StoreError>& broken);

  std::unique_ptr<PgConnection> writer_conn_;
  std::unique_ptr<PgConnection> reader_conn_;
  std::unique_ptr<JobQueue<PgConnection>> write_queue_;
  std::unique_ptr<JobQueue<PgConnection>> read_queue_;
  std::size_t max_batch_;
  std::chrono::milliseconds claim_lease_;
  std::atomic<std::uint64_t> write_batches_{0};
  std::atomic<std::uint64_t> write_jobs_{0};
  std::atomic<std::uint64_t> read_jobs_{0};
  std::atomic<bool> closed_{false};
  std::thread writer_;
  std::thread reader_;
};

} // namespace herald::store
