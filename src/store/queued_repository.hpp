#pragma once
// What SqliteRepository and PgRepository share: every notify::Repository request becomes a
// job on a bounded queue, writes for the backend's writer thread (group commit) and reads
// for its reader thread, and runs the backend's query of the same name. The queries of
// both backends are overloads in store::queries, chosen by the connection type (Connection
// for SQLite, PgConnection for PostgreSQL). The base runs the two threads over the queues;
// a backend opens its connections, says how a batch of writes and a read run in its
// transactions, and answers due_deliveries its own way.

#include "notify/repository.hpp"
#include "store/job.hpp"
#include "store/job_queue.hpp"
#include "store/store_options.hpp"

#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace herald::store {

template <class Conn> class QueuedRepository : public notify::Repository {
public:
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
  void update_delivery(std::string recipient_id, notify::DeliveryStatus status,
                       std::optional<core::WallTime> next_attempt_at, notify::Callback<bool> done) override;
  void undelivered_for_user(std::string user_id, int limit,
                            notify::Callback<std::vector<notify::InboxItem>> done) override;
  void users_with_undelivered(notify::Callback<std::vector<std::string>> done) override;

protected:
  using JobPtr = std::unique_ptr<Job<Conn>>;

  explicit QueuedRepository(const StoreOptions& options)
      : write_queue_(options.write_queue_capacity, options.lazy_linger, options.lazy_batch,
                     options.bulk_linger),
        read_queue_(options.read_queue_capacity), max_batch_(options.max_batch == 0 ? 1 : options.max_batch) {
  }

  // Queues `body` (Result<T>(Conn&)) for the writer.
  template <class T, class Body>
  void write(Body body, notify::Callback<T> done, Patience patience = Patience::none) {
    submit(write_queue_,
           std::make_unique<TypedJob<Conn, T, Body>>(std::move(body), std::move(done), patience));
  }
  // Queues `body` for the reader.
  template <class T, class Body> void read(Body body, notify::Callback<T> done) {
    submit(read_queue_, std::make_unique<TypedJob<Conn, T, Body>>(std::move(body), std::move(done)));
  }
  // A full or closed queue rejects the job at once: unavailable.
  void submit(JobQueue<Conn>& queue, std::unique_ptr<Job<Conn>> job) {
    if (auto rejected = queue.push(std::move(job)))
      rejected->reject({notify::StoreErrc::unavailable, "store queue is full or the store is closed"});
  }
  StoreStats queue_stats() const { return {write_batches_.load(), write_jobs_.load(), read_jobs_.load()}; }
  // Runs `body` on the writer and waits for its outcome. Never call it from a store callback.
  template <class Body> notify::Result<int> write_and_wait(Body body) {
    std::promise<notify::Result<int>> promise;
    auto future = promise.get_future();
    write<int>(std::move(body), [&promise](notify::Result<int> r) { promise.set_value(std::move(r)); });
    return future.get();
  }

  // Starts the writer and reader threads; call it last in the backend's constructor, and
  // stop_threads() first in its destructor: the threads call the backend's overrides.
  void start_threads();
  // Closes the queues and joins the threads once every accepted job has finished. True
  // the first time it joined them: the backend may then release its connections. False on
  // a store thread, which cannot join itself (the owner's later close() will).
  bool stop_threads();
  // The writer's transaction over `batch` (group commit); delivers every outcome.
  virtual void run_write_batch(std::vector<JobPtr>& batch) = 0;
  // Runs one read in its own transaction (one snapshot); an error means it did not run.
  virtual std::optional<notify::StoreError> run_read(Job<Conn>& job) = 0;

  JobQueue<Conn> write_queue_;
  JobQueue<Conn> read_queue_;
  const std::size_t max_batch_;
  std::atomic<std::uint64_t> write_batches_{0};
  std::atomic<std::uint64_t> write_jobs_{0};
  std::atomic<std::uint64_t> read_jobs_{0};

private:
  std::thread writer_;
  std::thread reader_;
  std::atomic<bool> stopped_{false};
};

} // namespace herald::store
