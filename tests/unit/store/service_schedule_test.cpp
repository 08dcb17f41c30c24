// notify::Service's retry schedule end to end on a real (in-memory) SQLite store, with a
// manual clock: the default 30 s / 1 m / 5 m / 15 m schedule runs in milliseconds.

#include "notify/payloads.hpp"
#include "notify/service.hpp"
#include "store/sqlite_repository.hpp"

#include <future>
#include <gtest/gtest.h>
#include <mutex>

namespace herald::notify {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

class RecordingEmitter final : public Emitter {
public:
  void to_users(std::vector<UserEvent> events) override {
    std::lock_guard lock(mutex_);
    for (auto& e : events)
      events_.push_back(std::move(e));
  }
  std::vector<UserEvent> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }

private:
  std::mutex mutex_;
  std::vector<UserEvent> events_;
};

template <class T> T wait(std::function<void(Callback<T>)> start) {
  std::promise<Result<T>> p;
  start([&p](Result<T> r) { p.set_value(std::move(r)); });
  auto r = p.get_future().get();
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return std::move(r).value();
}

class ServiceSchedule : public ::testing::Test {
protected:
  void SetUp() override {
    auto repo = store::SqliteRepository::open("sqlite://:memory:");
    ASSERT_TRUE(repo.ok());
    repo_ = std::move(*repo);
    service_ = std::make_unique<Service>(*repo_, emitter_, clock_, DeliveryPolicy{});
  }
  void TearDown() override {
    service_.reset();
    repo_->close();
  }

  std::string create_for(const std::string& user) {
    CreateNotificationRequest r;
    r.title = "t";
    r.content = "c";
    r.content_html = "<p>c</p>";
    r.type_id = "system";
    r.sender = Sender{"system", "system", "System"};
    r.targets.users = {user};
    auto created = wait<CreatedNotification>(
        [&](Callback<CreatedNotification> cb) { service_->create(r, clock_.steady_now(), std::move(cb)); });
    return created.recipients.at(0).recipient_id;
  }
  int pass() {
    std::promise<int> p;
    service_->process_due([&p](int n) { p.set_value(n); });
    const int moved = p.get_future().get();
    // The pass queued its updates on the single writer, which runs writes in order: once a
    // later write completes, they have too (and so has the emit of any resend).
    notify::UserUpdate barrier;
    barrier.id = "write-barrier";
    wait<UpsertUserResult>(
        [&](Callback<UpsertUserResult> cb) { repo_->upsert_user(barrier, std::move(cb)); });
    return moved;
  }
  Recipient record(const std::string& user) {
    auto page = wait<InboxPage>([&](Callback<InboxPage> cb) {
      InboxQuery q;
      q.user_id = user;
      repo_->list_inbox(q, std::move(cb));
    });
    EXPECT_EQ(page.items.size(), 1u);
    return page.items.at(0).recipient;
  }
  std::size_t sends() { return emitter_.events().size(); }

  core::ManualClock clock_;
  RecordingEmitter emitter_;
  std::unique_ptr<store::SqliteRepository> repo_;
  std::unique_ptr<Service> service_;
};

TEST_F(ServiceSchedule, AConnectAsksTheStoreOnlyForUsersThatMayHaveUndeliveredRecords) {
  create_for("u1");
  service_->load_undelivered_users();
  auto undelivered = [&](const std::string& user) {
    const auto reads = repo_->stats().read_jobs;
    auto items = wait<std::vector<InboxItem>>([&](Callback<std::vector<InboxItem>> cb) {
      service_->undelivered_for_connect(user, 100, std::move(cb));
    });
    return std::make_pair(items.size(), repo_->stats().read_jobs - reads);
  };
  EXPECT_EQ(undelivered("u1"), std::make_pair(std::size_t{1}, std::uint64_t{1}));
  EXPECT_EQ(undelivered("u2"), std::make_pair(std::size_t{0}, std::uint64_t{0})); // no query
  const auto rid = create_for("u2");
  EXPECT_EQ(undelivered("u2"), std::make_pair(std::size_t{1}, std::uint64_t{1}));
  wait<std::monostate>([&](Callback<std::monostate> cb) {
    service_->acknowledge("u2", rid, [cb](Result<void> r) {
      cb(r ? Result<std::monostate>(std::monostate{}) : Result<std::monostate>(r.error()));
    });
  });
  // Delivered: one query finds nothing, and the next connect asks no more.
  EXPECT_EQ(undelivered("u2"), std::make_pair(std::size_t{0}, std::uint64_t{1}));
  EXPECT_EQ(undelivered("u2"), std::make_pair(std::size_t{0}, std::uint64_t{0}));
}

TEST_F(ServiceSchedule, DefaultScheduleEndsInPermanentFailure) {
  const auto start = clock_.wall_now();
  const auto rid = create_for("u1");
  ASSERT_EQ(sends(), 1u);
  EXPECT_EQ(emitter_.events()[0].ack_id, ack_id_for_recipient(rid));
  EXPECT_EQ(record("u1").delivery_status, DeliveryStatus::pending);

  // Before the 30 s deadline nothing moves.
  clock_.advance(seconds(29));
  EXPECT_EQ(pass(), 0);
  auto deadline = start + seconds(30);
  const minutes backoff[] = {minutes(1), minutes(5), minutes(15)};
  for (int retry = 0; retry < 3; ++retry) {
    SCOPED_TRACE(retry);
    clock_.advance(seconds(2)); // past the deadline
    EXPECT_EQ(pass(), 1);
    auto r = record("u1");
    EXPECT_EQ(r.delivery_status, DeliveryStatus::failed);
    ASSERT_TRUE(r.next_attempt_at.has_value());
    EXPECT_EQ(*r.next_attempt_at, deadline + backoff[retry]);
    // The retry leaves when it is due, not before.
    clock_.set_wall(*r.next_attempt_at - seconds(1));
    EXPECT_EQ(pass(), 0);
    EXPECT_EQ(sends(), 1u + retry);
    clock_.set_wall(*r.next_attempt_at);
    EXPECT_EQ(pass(), 1);
    EXPECT_EQ(sends(), 2u + retry);
    EXPECT_EQ(emitter_.events().back().payload.at("recipient_id").as_string(), rid);
    r = record("u1");
    EXPECT_EQ(r.delivery_status, DeliveryStatus::pending);
    deadline = clock_.wall_now() + seconds(30);
    EXPECT_EQ(*r.next_attempt_at, deadline);
    clock_.set_wall(deadline - seconds(2));
  }
  clock_.advance(seconds(3));
  EXPECT_EQ(pass(), 1);
  EXPECT_EQ(record("u1").delivery_status, DeliveryStatus::permanent_failure);
  clock_.advance(minutes(60));
  EXPECT_EQ(pass(), 0);
  EXPECT_EQ(sends(), 4u);

  // A receipt that arrives late still counts.
  wait<std::monostate>([&](Callback<std::monostate> cb) {
    service_->acknowledge("u1", rid, [cb](Result<void> r) {
      if (r) return cb(std::monostate{});
      cb(r.error());
    });
  });
  EXPECT_EQ(record("u1").delivery_status, DeliveryStatus::delivered);
}

TEST_F(ServiceSchedule, AReceiptStopsTheRetriesAndIsIdempotent) {
  const auto rid = create_for("u2");
  clock_.advance(seconds(31));
  EXPECT_EQ(pass(), 1); // failed
  for (int i = 0; i < 2; ++i) {
    std::promise<bool> done;
    service_->acknowledge("u2", rid, [&done](Result<void> r) { done.set_value(r.ok()); });
    EXPECT_TRUE(done.get_future().get());
  }
  auto r = record("u2");
  EXPECT_EQ(r.delivery_status, DeliveryStatus::delivered);
  EXPECT_TRUE(r.delivered_at.has_value());
  clock_.advance(minutes(30));
  EXPECT_EQ(pass(), 0);
  EXPECT_EQ(sends(), 1u);
  EXPECT_EQ(service_->metrics().deliveries_delivered.load(), 2u);
}

TEST_F(ServiceSchedule, AFailedRecordSentAgainOnConnectAwaitsItsAckAsPendingThenResumesItsSchedule) {
  const auto start = clock_.wall_now();
  create_for("u4");
  clock_.advance(seconds(31));
  EXPECT_EQ(pass(), 1);
  ASSERT_EQ(record("u4").delivery_status, DeliveryStatus::failed); // retry due at 30 s + 1 min
  clock_.advance(seconds(10));                                     // connects at 41 s
  auto items = wait<std::vector<InboxItem>>([&](Callback<std::vector<InboxItem>> cb) {
    service_->undelivered_for_connect("u4", 100, std::move(cb));
  });
  ASSERT_EQ(items.size(), 1u);
  auto r = record("u4");
  EXPECT_EQ(r.delivery_status, DeliveryStatus::pending);
  EXPECT_EQ(r.next_attempt_at, start + seconds(41 + 30)); // a new ack deadline
  EXPECT_EQ(r.attempts, 0);                               // not one of the retries
  clock_.advance(seconds(31));
  EXPECT_EQ(pass(), 1); // the missed ack: failed, the first retry a minute after it
  r = record("u4");
  EXPECT_EQ(r.delivery_status, DeliveryStatus::failed);
  EXPECT_EQ(r.next_attempt_at, start + seconds(71) + minutes(1));
}

TEST_F(ServiceSchedule, AnotherUsersReceiptIsNotFound) {
  const auto rid = create_for("u3");
  std::promise<std::optional<StoreErrc>> done;
  service_->acknowledge("intruder", rid, [&done](Result<void> r) {
    done.set_value(r.ok() ? std::nullopt : std::optional<StoreErrc>(r.error().code));
  });
  EXPECT_EQ(done.get_future().get(), StoreErrc::not_found);
  EXPECT_EQ(record("u3").delivery_status, DeliveryStatus::pending);
}

} // namespace
} // namespace herald::notify
