#pragma once
// What SqliteRepository and PgRepository share: every notify::Repository request becomes a
// job on a bounded queue, writes for the backend's writer thread (group commit) and reads
// for its reader thread, and runs the backend's query of the same name. The queries of
// both backends are overloads in store::queries, chosen by the connection type (Connection
// for SQLite, PgConnection for PostgreSQL). A backend opens its connections, runs the two
// threads over the queues, and answers due_deliveries its own way.

#include "notify/repository.hpp"
#include "store/job.hpp"
#include "store/job_queue.hpp"
#include "store/store_options.hpp"

#include <atomic>
#include <cstdint>
#include <memory>

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
  explicit QueuedRepository(const StoreOptions& options)
      : write_queue_(options.write_queue_capacity, options.lazy_linger),
        read_queue_(options.read_queue_capacity), max_batch_(options.max_batch == 0 ? 1 : options.max_batch) {
  }

  // Queues `body` (Result<T>(Conn&)) for the writer; `lazy`: see Job::lazy.
  template <class T, class Body> void write(Body body, notify::Callback<T> done, bool lazy = false) {
    submit(write_queue_, std::make_unique<TypedJob<Conn, T, Body>>(std::move(body), std::move(done), lazy));
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

  JobQueue<Conn> write_queue_;
  JobQueue<Conn> read_queue_;
  const std::size_t max_batch_;
  std::atomic<std::uint64_t> write_batches_{0};
  std::atomic<std::uint64_t> write_jobs_{0};
  std::atomic<std::uint64_t> read_jobs_{0};
};

} // namespace herald::store
