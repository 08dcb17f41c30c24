#include "store/queued_repository.hpp"

#include "core/thread_name.hpp"
#include "store/codec.hpp"
#include "store/connection.hpp"
#include "store/pg_connection.hpp"
#include "store/pg_queries.hpp"
#include "store/queries.hpp"

namespace herald::store {

using notify::Callback;

namespace queries {
namespace {
// mark_read (`at_ms` set) and mark_unread (nullopt) on either store: the user's record,
// then its read_at set or cleared unless it already is.
template <class Conn>
Result<notify::ReadChange> set_read_state(Conn& c, const std::string& user_id,
                                          const std::string& recipient_id,
                                          std::optional<std::int64_t> at_ms) {
  auto rec = find_owned(c, user_id, recipient_id);
  if (!rec) return rec.error();
  notify::ReadChange out{false, std::to_string(rec->notification_id), from_ms(rec->read_at)};
  if (rec->read_at.has_value() == at_ms.has_value()) return out;
  if (auto r = set_read_at(c, rec->id, at_ms); !r) return r.error();
  out.changed = true;
  out.read_at = from_ms(at_ms);
  return out;
}
} // namespace
} // namespace queries

template <class Conn> bool ReceiptJob<Conn>::run(Conn& conn) {
  return this->record([&] { return queries::acknowledge(conn, user_id_, recipient_id_, at_); });
}

template <class Conn> void QueuedRepository<Conn>::start_threads() {
  writer_ = std::thread([this] {
    core::name_this_thread("herald-writer");
    std::vector<JobPtr> batch;
    while (write_queue_.pop_batch(batch, max_batch_)) {
      // Counted first: a caller woken by an outcome sees its batch in the stats.
      write_batches_.fetch_add(1, std::memory_order_relaxed);
      write_jobs_.fetch_add(batch.size(), std::memory_order_relaxed);
      run_write_batch(batch);
      batch.clear();
    }
  });
  reader_ = std::thread([this] {
    core::name_this_thread("herald-reader");
    std::vector<JobPtr> batch;
    // Small batches keep a burst of reads from delaying the first of them.
    while (read_queue_.pop_batch(batch, 64)) {
      for (auto& job : batch) {
        auto error = run_read(*job);
        read_jobs_.fetch_add(1, std::memory_order_relaxed);
        if (error)
          job->reject(std::move(*error));
        else
          job->finish(nullptr);
      }
      batch.clear();
    }
  });
}

template <class Conn> bool QueuedRepository<Conn>::stop_threads() {
  write_queue_.close();
  read_queue_.close();
  const auto self = std::this_thread::get_id();
  if (self == writer_.get_id() || self == reader_.get_id()) return false;
  if (writer_.joinable()) writer_.join();
  if (reader_.joinable()) reader_.join();
  return !stopped_.exchange(true);
}

template <class Conn>
void QueuedRepository<Conn>::upsert_user(notify::UserUpdate update, Callback<notify::UpsertUserResult> done) {
  write<notify::UpsertUserResult>([u = std::move(update)](Conn& c) { return queries::upsert_user(c, u); },
                                  std::move(done));
}

template <class Conn>
void QueuedRepository<Conn>::learn_user(notify::UserUpdate update, Callback<notify::UpsertUserResult> done) {
  write<notify::UpsertUserResult>([u = std::move(update)](Conn& c) { return queries::upsert_user(c, u); },
                                  std::move(done), Patience::lazy);
}

template <class Conn>
void QueuedRepository<Conn>::get_user(std::string user_id, Callback<notify::User> done) {
  read<notify::User>([id = std::move(user_id)](Conn& c) { return queries::get_user(c, id); },
                     std::move(done));
}

template <class Conn>
void QueuedRepository<Conn>::list_types(Callback<std::vector<notify::NotificationType>> done) {
  read<std::vector<notify::NotificationType>>([](Conn& c) { return queries::list_types(c); },
                                              std::move(done));
}

template <class Conn>
void QueuedRepository<Conn>::create_type(notify::NotificationType type,
                                         Callback<notify::NotificationType> done) {
  write<notify::NotificationType>([t = std::move(type)](Conn& c) { return queries::create_type(c, t); },
                                  std::move(done));
}

template <class Conn>
void QueuedRepository<Conn>::get_type(std::string type_id, Callback<notify::NotificationType> done) {
  read<notify::NotificationType>([id = std::move(type_id)](Conn& c) { return queries::get_type(c, id); },
                                 std::move(done));
}

template <class Conn>
void QueuedRepository<Conn>::create_notification(notify::CreateNotificationRequest request,
                                                 Callback<notify::CreatedNotification> done) {
  const auto patience =
      request.targets.broadcast || !request.targets.departments.empty() ? Patience::bulk : Patience::none;
  write<notify::CreatedNotification>(
      [r = std::move(request)](Conn& c) { return queries::create_notification(c, r); }, std::move(done),
      patience);
}

template <class Conn>
void QueuedRepository<Conn>::list_inbox(notify::InboxQuery query, Callback<notify::InboxPage> done) {
  read<notify::InboxPage>([q = std::move(query)](Conn& c) { return queries::list_inbox(c, q); },
                          std::move(done));
}

template <class Conn>
void QueuedRepository<Conn>::unread_count(std::string user_id, Callback<std::int64_t> done) {
  read<std::int64_t>([id = std::move(user_id)](Conn& c) { return queries::unread_count(c, id); },
                     std::move(done));
}

template <class Conn>
void QueuedRepository<Conn>::mark_read(std::string user_id, std::string recipient_id, core::WallTime at,
                                       Callback<notify::ReadChange> done) {
  write<notify::ReadChange>([u = std::move(user_id), r = std::move(recipient_id),
                             at](Conn& c) { return queries::set_read_state(c, u, r, to_ms(at)); },
                            std::move(done));
}

template <class Conn>
void QueuedRepository<Conn>::mark_unread(std::string user_id, std::string recipient_id,
                                         Callback<notify::ReadChange> done) {
  write<notify::ReadChange>([u = std::move(user_id), r = std::move(recipient_id)](
                                Conn& c) { return queries::set_read_state(c, u, r, std::nullopt); },
                            std::move(done));
}

template <class Conn>
void QueuedRepository<Conn>::mark_all_read(std::string user_id, core::WallTime at,
                                           Callback<std::int64_t> done) {
  write<std::int64_t>([u = std::move(user_id), at](Conn& c) { return queries::mark_all_read(c, u, at); },
                      std::move(done));
}

template <class Conn>
void QueuedRepository<Conn>::acknowledge(std::string user_id, std::string recipient_id, core::WallTime at,
                                         Callback<void> done) {
  // A job of its own kind: the writer applies a run of queued receipts in one statement.
  submit(write_queue_, std::make_unique<ReceiptJob<Conn>>(std::move(user_id), std::move(recipient_id), at,
                                                          std::move(done)));
}

template <class Conn>
void QueuedRepository<Conn>::record_sent(std::vector<std::string> recipient_ids, core::WallTime ack_deadline,
                                         Callback<std::int64_t> done) {
  write<std::int64_t>([ids = std::move(recipient_ids),
                       ack_deadline](Conn& c) { return queries::record_sent(c, ids, ack_deadline); },
                      std::move(done));
}

template <class Conn>
void QueuedRepository<Conn>::update_delivery(std::string recipient_id, notify::DeliveryStatus status,
                                             std::optional<core::WallTime> next_attempt_at,
                                             Callback<bool> done) {
  write<bool>([r = std::move(recipient_id), status,
               next_attempt_at](Conn& c) { return queries::update_delivery(c, r, status, next_attempt_at); },
              std::move(done));
}

template <class Conn>
void QueuedRepository<Conn>::undelivered_for_user(std::string user_id, int limit,
                                                  Callback<std::vector<notify::InboxItem>> done) {
  read<std::vector<notify::InboxItem>>(
      [u = std::move(user_id), limit](Conn& c) { return queries::undelivered_for_user(c, u, limit); },
      std::move(done));
}

template <class Conn>
void QueuedRepository<Conn>::users_with_undelivered(Callback<std::vector<std::string>> done) {
  read<std::vector<std::string>>([](Conn& c) { return queries::users_with_undelivered(c); }, std::move(done));
}

template class ReceiptJob<Connection>;
template class ReceiptJob<PgConnection>;
template class QueuedRepository<Connection>;
template class QueuedRepository<PgConnection>;

} // namespace herald::store
