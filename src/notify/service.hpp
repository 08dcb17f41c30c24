#pragma once
// The notification service: stores first, then fans out (durable before visible); keeps
// every inbox change in sync across the user's sockets; and runs the retry schedule of
// SPEC section 5 from an indexed due-time query (no timer per delivery).

#include "core/clock.hpp"
#include "core/histogram.hpp"
#include "notify/delivery_policy.hpp"
#include "notify/emitter.hpp"
#include "notify/repository.hpp"
#include "notify/undelivered_users.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace herald::notify {

struct ServiceMetrics {
  std::atomic<uint64_t> notifications_created{0};
  std::atomic<uint64_t> deliveries_sent{0}; // notification:new emitted (first sends and retries)
  std::atomic<uint64_t> deliveries_delivered{0};
  std::atomic<uint64_t> deliveries_failed{0};
  std::atomic<uint64_t> deliveries_permanent_failure{0};
  std::atomic<uint64_t> retries_sent{0};
  core::Histogram api_to_emit; // from the API call to the emit, stored first
};

class Service {
public:
  Service(Repository& repository, Emitter& emitter, const core::Clock& clock, DeliveryPolicy policy);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Stores the notification and its recipient records, then emits notification:new to each
  // recipient, then calls `done`. A replayed idempotency key emits nothing. `received_at`
  // is when the API call arrived (for the latency histogram).
  void create(CreateNotificationRequest request, core::SteadyTime received_at,
              Callback<CreatedNotification> done);
  // A receipt; not_found for another user's record.
  void acknowledge(std::string user_id, std::string recipient_id, Callback<void> done);
  // Read state changes, each followed by its sync event when something changed.
  void mark_read(std::string user_id, std::string recipient_id, Callback<ReadChange> done);
  void mark_unread(std::string user_id, std::string recipient_id, Callback<ReadChange> done);
  // `at` is the read_at of the records, of the notifications:read_all event and of the
  // caller's answer: one time for all three.
  void mark_all_read(std::string user_id, core::WallTime at, Callback<std::int64_t> done);

  // The user's undelivered records, oldest first, for redelivery to a socket that just
  // connected. Answers at once, without a store query, when the user has none (known only
  // of a store no other node writes). Failed records among them read pending, with a new
  // ack deadline, before the answer.
  void undelivered_for_connect(const std::string& user_id, int limit, Callback<std::vector<InboxItem>> done);

  // Learns from the store which users have undelivered records; until then every
  // connect asks the store. Blocks; the scheduler thread calls it first.
  void load_undelivered_users();
  // Starts the scheduler thread that polls for due deliveries.
  void start_scheduler();
  void stop_scheduler();
  // One pass over the due deliveries (the scheduler's body; tests call it with a manual
  // clock). `done` gets how many records it moved.
  void process_due(std::function<void(int)> done);

  Repository& repository() { return repo_; }
  const ServiceMetrics& metrics() const { return metrics_; }
  const DeliveryPolicy& policy() const { return policy_; }

private:
  void scheduler_main();

  Repository& repo_;
  Emitter& emitter_;
  const core::Clock& clock_;
  DeliveryPolicy policy_;
  ServiceMetrics metrics_;
  UndeliveredUsers undelivered_;
  std::thread scheduler_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

} // namespace herald::notify
