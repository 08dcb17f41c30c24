#include "notify/service.hpp"

#include "core/thread_name.hpp"
#include "notify/payloads.hpp"

#include <future>
#include <spdlog/spdlog.h>

namespace herald::notify {
namespace json = boost::json;

namespace {
// One due-deliveries page: large enough to drain a backlog quickly, small enough to keep
// a pass short.
constexpr int kDuePage = 1000;
} // namespace

Service::Service(Repository& repository, Emitter& emitter, const core::Clock& clock, DeliveryPolicy policy)
    : repo_(repository), emitter_(emitter), clock_(clock), policy_(std::move(policy)) {}

Service::~Service() { stop_scheduler(); }

void Service::create(CreateNotificationRequest request, core::SteadyTime received_at,
                     Callback<CreatedNotification> done) {
  const auto now = clock_.wall_now();
  request.created_at = now;
  // Recorded with the commit, so that a crash between commit and emit still retries.
  request.ack_deadline = now + policy_.ack_timeout;
  repo_.create_notification(std::move(request), [this, received_at,
                                                 done = std::move(done)](Result<CreatedNotification> result) {
    if (result && !result->replayed) {
      // Marked before the emit: a socket that connects meanwhile either is in its room
      // already or asks the store.
      undelivered_.mark_all(result->recipients,
                            [](const RecipientRef& r) -> const std::string& { return r.user_id; });
      emitter_.new_notification(result->notification, result->recipients);
      metrics_.notifications_created.fetch_add(1, std::memory_order_relaxed);
      metrics_.deliveries_sent.fetch_add(result->recipients.size(), std::memory_order_relaxed);
      metrics_.api_to_emit.observe(std::chrono::duration<double>(clock_.steady_now() - received_at).count());
    }
    done(std::move(result));
  });
}

void Service::acknowledge(std::string user_id, std::string recipient_id, Callback<void> done) {
  repo_.acknowledge(std::move(user_id), std::move(recipient_id), clock_.wall_now(),
                    [this, done = std::move(done)](Result<void> r) {
                      if (r) metrics_.deliveries_delivered.fetch_add(1, std::memory_order_relaxed);
                      done(std::move(r));
                    });
}

void Service::mark_read(std::string user_id, std::string recipient_id, Callback<ReadChange> done) {
  repo_.mark_read(
      user_id, recipient_id, clock_.wall_now(),
      [this, user_id, recipient_id, done = std::move(done)](Result<ReadChange> r) {
        if (r && r->changed) {
          json::object payload{{"recipient_id", recipient_id},
                               {"notification_id", r->notification_id},
                               {"read_at", r->read_at ? json::value(core::format_iso8601(*r->read_at))
                                                      : json::value(nullptr)}};
          emitter_.to_users({UserEvent{user_id, "notification:read", std::move(payload), std::nullopt}});
        }
        done(std::move(r));
      });
}

void Service::mark_unread(std::string user_id, std::string recipient_id, Callback<ReadChange> done) {
  repo_.mark_unread(
      user_id, recipient_id, [this, user_id, recipient_id, done = std::move(done)](Result<ReadChange> r) {
        if (r && r->changed) {
          json::object payload{{"recipient_id", recipient_id}, {"notification_id", r->notification_id}};
          emitter_.to_users({UserEvent{user_id, "notification:unread", std::move(payload), std::nullopt}});
        }
        done(std::move(r));
      });
}

void Service::mark_all_read(std::string user_id, core::WallTime at, Callback<std::int64_t> done) {
  repo_.mark_all_read(user_id, at, [this, user_id, at, done = std::move(done)](Result<std::int64_t> r) {
    if (r) {
      json::object payload{{"marked_count", *r}, {"read_at", core::format_iso8601(at)}};
      emitter_.to_users({UserEvent{user_id, "notifications:read_all", std::move(payload), std::nullopt}});
    }
    done(std::move(r));
  });
}

void Service::process_due(std::function<void(int)> done) {
  const auto now = clock_.wall_now();
  repo_.due_deliveries(
      now, kDuePage, [this, now, done = std::move(done)](Result<std::vector<InboxItem>> due) {
        if (!due) {
          spdlog::warn("delivery: due deliveries unavailable: {}", due.error().message);
          if (done) done(0);
          return;
        }
        std::vector<UserEvent> resend;
        std::vector<std::string> resent_ids;
        int moved = 0;
        for (const auto& item : *due) {
          const auto step = next_step(item.recipient, now, policy_);
          using Action = DeliveryStep::Action;
          switch (step.action) {
          case Action::none:
            break;
          case Action::mark_failed:
          case Action::mark_permanent_failure: {
            const bool permanent = step.action == Action::mark_permanent_failure;
            ++moved;
            (permanent ? metrics_.deliveries_permanent_failure : metrics_.deliveries_failed)
                .fetch_add(1, std::memory_order_relaxed);
            repo_.update_delivery(item.recipient.recipient_id,
                                  permanent ? DeliveryStatus::permanent_failure : DeliveryStatus::failed,
                                  step.next_attempt_at, [](Result<bool>) {});
            break;
          }
          case Action::resend:
            ++moved;
            resent_ids.push_back(item.recipient.recipient_id);
            resend.push_back(new_notification_event(item.notification, item.recipient.user_id,
                                                    item.recipient.recipient_id));
            break;
          }
        }
        if (!resend.empty()) {
          metrics_.retries_sent.fetch_add(resend.size(), std::memory_order_relaxed);
          metrics_.deliveries_sent.fetch_add(resend.size(), std::memory_order_relaxed);
          // Pending again before the packets leave, so a receipt can never precede the state.
          repo_.record_sent(std::move(resent_ids), now + policy_.ack_timeout,
                            [this, resend = std::move(resend)](Result<std::int64_t>) mutable {
                              emitter_.to_users(std::move(resend));
                            });
        }
        if (done) done(moved);
      });
}

void Service::undelivered_for_connect(const std::string& user_id, int limit,
                                      Callback<std::vector<InboxItem>> done) {
  // Another node may have stored records for the user since: a shared store is always asked.
  if (!repo_.shared() && !undelivered_.may_have(user_id)) return done(std::vector<InboxItem>{});
  const auto since = undelivered_.generation();
  repo_.undelivered_for_user(
      user_id, limit,
      [this, user_id, since, done = std::move(done)](Result<std::vector<InboxItem>> r) mutable {
        if (r && r->empty()) undelivered_.clear(user_id, since);
        std::vector<std::string> failed;
        if (r)
          for (const auto& item : *r)
            if (item.recipient.delivery_status == DeliveryStatus::failed)
              failed.push_back(item.recipient.recipient_id);
        if (failed.empty()) return done(std::move(r));
        // While a send awaits its ack the record reads pending (SPEC 5.4): marked, with a new
        // ack deadline, before the packets leave, so a receipt never precedes the state. An
        // extra send, not one of the scheduled retries: attempts stay, and a missed ack
        // resumes the schedule where it was. Should the store refuse, they are sent anyway.
        const auto deadline = clock_.wall_now() + policy_.ack_timeout;
        auto items = std::make_shared<std::vector<InboxItem>>(std::move(*r));
        auto left = std::make_shared<std::atomic<std::size_t>>(failed.size());
        auto finish = std::make_shared<Callback<std::vector<InboxItem>>>(std::move(done));
        for (auto& id : failed)
          repo_.update_delivery(std::move(id), DeliveryStatus::pending, deadline,
                                [items, left, finish](Result<bool>) {
                                  if (left->fetch_sub(1) == 1) (*finish)(std::move(*items));
                                });
      });
}

void Service::start_scheduler() {
  std::lock_guard lock(mutex_);
  if (scheduler_.joinable()) return;
  stopping_ = false;
  scheduler_ = std::thread([this] {
    core::name_this_thread("herald-retry");
    scheduler_main();
  });
}

void Service::stop_scheduler() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
}

void Service::load_undelivered_users() {
  std::promise<void> loaded;
  repo_.users_with_undelivered([this, &loaded](Result<std::vector<std::string>> users) {
    if (users) {
      undelivered_.load(*users);
    } else {
      // Every user keeps counting as marked: each connect asks the store, as before.
      spdlog::warn("delivery: users with undelivered records unavailable: {}", users.error().message);
    }
    loaded.set_value();
  });
  loaded.get_future().wait();
}

void Service::scheduler_main() {
  load_undelivered_users();
  // Poll often enough that a missed deadline is noticed within a tenth of the ack timeout,
  // never more than once per 10 ms nor less than once per second.
  const auto interval = std::clamp<std::chrono::milliseconds>(
      policy_.ack_timeout / 10, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    std::promise<int> pass;
    auto moved = pass.get_future();
    process_due([&pass](int n) { pass.set_value(n); });
    const int n = moved.get();
    lock.lock();
    if (n >= kDuePage) continue; // a backlog: keep draining
    wake_.wait_for(lock, interval, [this] { return stopping_; });
  }
}

} // namespace herald::notify
