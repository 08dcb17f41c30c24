#include "store_fixture.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

namespace herald::store::test {
namespace {

using notify::CreatedNotification;
using notify::StoreErrc;

class GroupCommit : public StoreTest {};

TEST_P(GroupCommit, ManyCallersFromSeveralThreads) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 250;
  std::atomic<int> ok{0}, failed{0}, done{0};
  std::promise<void> all_done;
  const auto before = stats();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        notify::CreateNotificationRequest req;
        req.title = "n";
        req.type_id = "info";
        req.targets.users = {"t" + std::to_string(t), "everyone"};
        req.created_at = clock_.wall_now();
        repo_->create_notification(std::move(req), [&](Result<CreatedNotification> r) {
          (r ? ok : failed).fetch_add(1);
          if (done.fetch_add(1) + 1 == kThreads * kPerThread) all_done.set_value();
        });
      }
    });
  }
  for (auto& th : threads)
    th.join();
  all_done.get_future().wait();
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(unread("everyone"), kThreads * kPerThread);
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(unread("t" + std::to_string(t)), kPerThread);
  const auto after = stats();
  EXPECT_EQ(after.write_jobs - before.write_jobs, static_cast<std::uint64_t>(kThreads * kPerThread));
  EXPECT_LE(after.write_batches - before.write_batches, after.write_jobs - before.write_jobs);
}

TEST_P(GroupCommit, QueuedRequestsShareOneTransaction) {
  const auto before = stats();
  std::vector<std::promise<Result<CreatedNotification>>> promises(50);
  {
    WriterGate gate(*repo_);
    for (auto& p : promises) {
      notify::CreateNotificationRequest req;
      req.title = "n";
      req.type_id = "info";
      req.targets.users = {"u"};
      req.created_at = clock_.wall_now();
      repo_->create_notification(req, [&p](Result<CreatedNotification> r) { p.set_value(std::move(r)); });
    }
  }
  for (auto& p : promises)
    ASSERT_TRUE(p.get_future().get());
  const auto after = stats();
  // The gate's own batch, then the 50 requests in one.
  EXPECT_EQ(after.write_batches - before.write_batches, 2u);
  EXPECT_EQ(after.write_jobs - before.write_jobs, 51u);
  EXPECT_EQ(unread("u"), 50);
}

TEST_P(GroupCommit, AFailingRequestDoesNotPoisonItsBatch) {
  auto existing = send({"u"});
  std::promise<Result<CreatedNotification>> good1, bad_type, bad_partial, good2;
  std::promise<Result<notify::NotificationType>> conflict;
  std::promise<Result<notify::ReadChange>> foreign;
  std::promise<Result<std::int64_t>> read_all;
  {
    WriterGate gate(*repo_);
    auto req = [&](std::string type, std::string user) {
      notify::CreateNotificationRequest r;
      r.title = "x";
      r.type_id = std::move(type);
      r.targets.users = {std::move(user), "shared"};
      r.created_at = clock_.wall_now();
      return r;
    };
    repo_->create_notification(req("info", "g1"), [&](auto r) { good1.set_value(std::move(r)); });
    repo_->create_notification(req("no-such-type", "nobody"),
                               [&](auto r) { bad_type.set_value(std::move(r)); });
    // Inserts "ghost" into the directory, then fails on the empty id: the savepoint must
    // take the insert back while the batch's other requests commit.
    auto partial = req("info", "ghost");
    partial.targets.users.push_back("");
    repo_->create_notification(partial, [&](auto r) { bad_partial.set_value(std::move(r)); });
    repo_->create_type({"info", "dup", "", ""}, [&](auto r) { conflict.set_value(std::move(r)); });
    repo_->mark_read("intruder", existing.recipients[0].recipient_id, clock_.wall_now(),
                     [&](auto r) { foreign.set_value(std::move(r)); });
    repo_->create_notification(req("info", "g2"), [&](auto r) { good2.set_value(std::move(r)); });
    repo_->mark_all_read("u", clock_.wall_now(), [&](auto r) { read_all.set_value(std::move(r)); });
  }
  EXPECT_TRUE(good1.get_future().get());
  EXPECT_EQ(bad_type.get_future().get().error().code, StoreErrc::invalid);
  EXPECT_EQ(bad_partial.get_future().get().error().code, StoreErrc::invalid);
  EXPECT_EQ(conflict.get_future().get().error().code, StoreErrc::conflict);
  EXPECT_EQ(foreign.get_future().get().error().code, StoreErrc::not_found);
  EXPECT_TRUE(good2.get_future().get());
  EXPECT_EQ(read_all.get_future().get().value(), 1);
  EXPECT_EQ(unread("shared"), 2);
  EXPECT_EQ(unread("g1"), 1);
  EXPECT_EQ(unread("g2"), 1);
  auto ghost = call<notify::User>([&](auto cb) { repo_->get_user("ghost", cb); });
  EXPECT_EQ(ghost.error().code, StoreErrc::not_found);
}

TEST_P(GroupCommit, FullQueueAnswersUnavailable) {
  repo_->close();
  StoreOptions options;
  options.write_queue_capacity = 3;
  options.read_queue_capacity = 2;
  repo_ = open(options);
  std::vector<std::promise<Result<std::int64_t>>> accepted(3);
  {
    WriterGate gate(*repo_);
    for (auto& p : accepted) {
      repo_->mark_all_read("u", clock_.wall_now(), [&p](auto r) { p.set_value(std::move(r)); });
    }
    // The callback of a refused request runs inline, before the call returns.
    bool answered = false;
    repo_->mark_all_read("u", clock_.wall_now(), [&](Result<std::int64_t> r) {
      answered = true;
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().code, StoreErrc::unavailable);
    });
    EXPECT_TRUE(answered);
  }
  for (auto& p : accepted)
    EXPECT_TRUE(p.get_future().get());
  // Space again once the writer drained the queue.
  EXPECT_TRUE(call<std::int64_t>([&](auto cb) { repo_->mark_all_read("u", clock_.wall_now(), cb); }));
}

TEST_P(GroupCommit, CloseFinishesAcceptedRequestsThenRefuses) {
  std::vector<std::promise<Result<CreatedNotification>>> promises(20);
  for (auto& p : promises) {
    notify::CreateNotificationRequest req;
    req.title = "n";
    req.type_id = "info";
    req.targets.users = {"u"};
    req.created_at = clock_.wall_now();
    repo_->create_notification(req, [&p](auto r) { p.set_value(std::move(r)); });
  }
  repo_->close();
  for (auto& p : promises)
    EXPECT_TRUE(p.get_future().get());
  auto after = call<std::int64_t>([&](auto cb) { repo_->unread_count("u", cb); });
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, StoreErrc::unavailable);
  auto write = call<std::int64_t>([&](auto cb) { repo_->mark_all_read("u", clock_.wall_now(), cb); });
  EXPECT_EQ(write.error().code, StoreErrc::unavailable);
  repo_->close(); // idempotent
}

TEST_P(GroupCommit, ReadersRunBesideAnOpenWriteBatch) {
  if (GetParam() == Backing::memory) GTEST_SKIP() << ":memory: reads share the writer's connection";
  send({"u"});
  WriterGate gate(*repo_); // the writer is busy inside a callback
  EXPECT_EQ(unread("u"), 1);
}

TEST_P(GroupCommit, TheWalIsCheckpointedBesideTheWriter) {
  if (GetParam() != Backing::file) GTEST_SKIP() << "only a SQLite file has a WAL";
  auto checkpoints = [&] { return static_cast<SqliteRepository&>(*repo_).stats().checkpoints; };
  const auto db = dir_.path() / "herald.db";
  const auto size_before = std::filesystem::file_size(db);
  // Each notification to 400 users touches tens of pages: send until the WAL has passed
  // the checkpoint threshold and the checkpointer (on its own thread) ran.
  std::vector<std::string> users;
  for (int i = 0; i < 400; ++i)
    users.push_back("user-" + std::to_string(i));
  int sent = 0;
  for (; sent < 3000 && checkpoints() == 0; ++sent)
    send(users);
  for (int i = 0; i < 500 && checkpoints() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GT(checkpoints(), 0u);
  // Only a checkpoint writes the database file while the store is open.
  EXPECT_GT(std::filesystem::file_size(db), size_before);
  EXPECT_EQ(unread("user-7"), sent);
}

INSTANTIATE_TEST_SUITE_P(Backings, GroupCommit, all_backings(), backing_name);

} // namespace
} // namespace herald::store::test
