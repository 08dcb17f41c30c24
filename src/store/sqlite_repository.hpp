#pragma once
// notify::Repository on SQLite. One writer thread takes every queued write at once and
// runs them in one transaction (group commit), each under its own SAVEPOINT so that a
// failing request rolls back alone; one reader thread answers reads on its own connection
// beside the writer (WAL). Both queues are bounded: a full queue answers unavailable.

#include "notify/repository.hpp"
#include "store/sqlite_options.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <thread>

namespace herald::store {

class Checkpointer;
class Connection;
template <class Conn> class Job;
template <class Conn> class JobQueue;

class SqliteRepository final : public notify::Repository {
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
  void due_deliveries(core::WallTime now, int limit,
                      notify::Callback<std::vector<notify::InboxItem>> done) override;
  void update_delivery(std::string recipient_id, notify::DeliveryStatus status,
                       std::optional<core::WallTime> next_attempt_at, notify::Callback<bool> done) override;
  void undelivered_for_user(std::string user_id, int limit,
                            notify::Callback<std::vector<notify::InboxItem>> done) override;
  void users_with_undelivered(notify::Callback<std::vector<std::string>> done) override;
  void close() override;

private:
  SqliteRepository(std::unique_ptr<Connection> writer, std::unique_ptr<Connection> reader,
                   std::unique_ptr<Checkpointer> checkpointer, const SqliteOptions& options);

  // `lazy`: see Job::lazy.
  template <class T, class Body> void write(Body body, notify::Callback<T> done, bool lazy = false);
  template <class T, class Body> void read(Body body, notify::Callback<T> done);
  void submit(JobQueue<Connection>& queue, std::unique_ptr<Job<Connection>> job);
  void writer_main();
  void reader_main();
  // Runs one group-commit transaction over `batch`, then delivers every outcome.
  void run_write_batch(std::vector<std::unique_ptr<Job<Connection>>>& batch);
  // Applies the receipts batch[begin, end) in one statement and records each outcome.
  void run_receipts(Connection& c, std::vector<std::unique_ptr<Job<Connection>>>& batch, std::size_t begin,
                    std::size_t end);
  Connection& reader_conn();

  std::unique_ptr<Connection> writer_conn_;
  std::unique_ptr<Connection> reader_conn_;    // null for :memory:, whose reads share the writer's
  std::unique_ptr<Checkpointer> checkpointer_; // null for :memory:
  std::unique_ptr<JobQueue<Connection>> write_queue_;
  std::unique_ptr<JobQueue<Connection>> read_queue_;
  std::size_t max_batch_;
  std::atomic<std::uint64_t> write_batches_{0};
  std::atomic<std::uint64_t> write_jobs_{0};
  std::atomic<std::uint64_t> read_jobs_{0};
  std::atomic<bool> closed_{false};
  std::thread writer_;
  std::thread reader_;
};

} // namespace herald::store
