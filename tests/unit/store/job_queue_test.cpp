#include "store/job_queue.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <thread>

namespace herald::store::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The queue never looks at the connection type.
struct NoConnection {};
using Queue = JobQueue<NoConnection>;
using AnyJob = Job<NoConnection>;

class TagJob final : public AnyJob {
public:
  TagJob(int tag, bool lazy) : TagJob(tag, lazy ? Patience::lazy : Patience::none) {}
  TagJob(int tag, Patience patience) : tag_(tag), patience_(patience) {}
  bool run(NoConnection&) override { return true; }
  void finish(const notify::StoreError*) override {}
  void reject(notify::StoreError) override {}
  Patience patience() const override { return patience_; }
  int tag() const { return tag_; }

private:
  int tag_;
  Patience patience_;
};

std::vector<int> tags(const std::vector<std::unique_ptr<AnyJob>>& jobs) {
  std::vector<int> out;
  for (const auto& j : jobs)
    out.push_back(static_cast<const TagJob&>(*j).tag());
  return out;
}

TEST(JobQueue, LazyJobsAloneWaitForTheLinger) {
  Queue q(100, 50ms);
  const auto start = Clock::now();
  ASSERT_EQ(q.push(std::make_unique<TagJob>(1, true)), nullptr);
  ASSERT_EQ(q.push(std::make_unique<TagJob>(2, true)), nullptr);
  std::vector<std::unique_ptr<AnyJob>> batch;
  ASSERT_TRUE(q.pop_batch(batch, 10));
  EXPECT_GE(Clock::now() - start, 50ms);
  EXPECT_EQ(tags(batch), (std::vector<int>{1, 2}));
}

TEST(JobQueue, AnEagerJobTakesTheLazyOnesAlongInOrder) {
  Queue q(100, 60s);
  std::vector<std::unique_ptr<AnyJob>> batch;
  std::thread consumer([&] { q.pop_batch(batch, 10); });
  ASSERT_EQ(q.push(std::make_unique<TagJob>(1, true)), nullptr);
  std::this_thread::sleep_for(20ms); // the consumer is lingering now
  const auto pushed = Clock::now();
  ASSERT_EQ(q.push(std::make_unique<TagJob>(2, false)), nullptr);
  consumer.join();
  EXPECT_LT(Clock::now() - pushed, 10s);
  EXPECT_EQ(tags(batch), (std::vector<int>{1, 2}));
}

TEST(JobQueue, AFullLazyBatchGoesAtOnce) {
  Queue q(100, 60s, /*lazy_batch=*/3);
  std::vector<std::unique_ptr<AnyJob>> batch;
  std::thread consumer([&] { q.pop_batch(batch, 10); });
  for (int i = 1; i <= 3; ++i)
    ASSERT_EQ(q.push(std::make_unique<TagJob>(i, true)), nullptr);
  consumer.join();
  EXPECT_EQ(tags(batch), (std::vector<int>{1, 2, 3}));
}

TEST(JobQueue, ClosingReleasesLingeringJobsThenEnds) {
  Queue q(100, 60s);
  ASSERT_EQ(q.push(std::make_unique<TagJob>(1, true)), nullptr);
  q.close();
  std::vector<std::unique_ptr<AnyJob>> batch;
  ASSERT_TRUE(q.pop_batch(batch, 10));
  EXPECT_EQ(tags(batch), (std::vector<int>{1}));
  batch.clear();
  EXPECT_FALSE(q.pop_batch(batch, 10));
  // Refused after close, and given back to the caller.
  EXPECT_NE(q.push(std::make_unique<TagJob>(2, false)), nullptr);
}

TEST(JobQueue, WithoutALingerLazyJobsAreOrdinary) {
  Queue q(100);
  ASSERT_EQ(q.push(std::make_unique<TagJob>(1, true)), nullptr);
  std::vector<std::unique_ptr<AnyJob>> batch;
  const auto start = Clock::now();
  ASSERT_TRUE(q.pop_batch(batch, 10));
  EXPECT_LT(Clock::now() - start, 10s);
  EXPECT_EQ(tags(batch), (std::vector<int>{1}));
}

TEST(JobQueue, JobsLeftByTheBatchLimitDoNotLingerAgain) {
  Queue q(100, 60s, /*lazy_batch=*/3);
  for (int i = 1; i <= 3; ++i)
    ASSERT_EQ(q.push(std::make_unique<TagJob>(i, true)), nullptr);
  std::vector<std::unique_ptr<AnyJob>> batch;
  ASSERT_TRUE(q.pop_batch(batch, 2));
  EXPECT_EQ(tags(batch), (std::vector<int>{1, 2}));
  batch.clear();
  const auto start = Clock::now();
  ASSERT_TRUE(q.pop_batch(batch, 2));
  EXPECT_LT(Clock::now() - start, 10s);
  EXPECT_EQ(tags(batch), (std::vector<int>{3}));
}

TEST(JobQueue, ABulkJobWaitsItsShortLingerForCompany) {
  Queue q(100, 60s, 256, /*bulk_linger=*/50ms);
  std::vector<std::unique_ptr<AnyJob>> batch;
  const auto start = Clock::now();
  std::thread consumer([&] { q.pop_batch(batch, 10); });
  ASSERT_EQ(q.push(std::make_unique<TagJob>(1, Patience::bulk)), nullptr);
  ASSERT_EQ(q.push(std::make_unique<TagJob>(2, Patience::bulk)), nullptr);
  consumer.join();
  const auto waited = Clock::now() - start;
  EXPECT_GE(waited, 50ms);
  EXPECT_LT(waited, 30s); // not the lazy linger
  EXPECT_EQ(tags(batch), (std::vector<int>{1, 2}));
}

TEST(JobQueue, ALazyJobDoesNotHoldABulkOneToItsLongerLinger) {
  Queue q(100, 60s, 256, /*bulk_linger=*/20ms);
  std::vector<std::unique_ptr<AnyJob>> batch;
  ASSERT_EQ(q.push(std::make_unique<TagJob>(1, Patience::lazy)), nullptr);
  ASSERT_EQ(q.push(std::make_unique<TagJob>(2, Patience::bulk)), nullptr);
  const auto start = Clock::now();
  ASSERT_TRUE(q.pop_batch(batch, 10));
  EXPECT_LT(Clock::now() - start, 30s);
  EXPECT_EQ(tags(batch), (std::vector<int>{1, 2}));
}

TEST(JobQueue, AnEagerJobEndsABulkLinger) {
  Queue q(100, 60s, 256, /*bulk_linger=*/60s);
  std::vector<std::unique_ptr<AnyJob>> batch;
  std::thread consumer([&] { q.pop_batch(batch, 10); });
  ASSERT_EQ(q.push(std::make_unique<TagJob>(1, Patience::bulk)), nullptr);
  std::this_thread::sleep_for(20ms); // the consumer is lingering now
  const auto pushed = Clock::now();
  ASSERT_EQ(q.push(std::make_unique<TagJob>(2, Patience::none)), nullptr);
  consumer.join();
  EXPECT_LT(Clock::now() - pushed, 10s);
  EXPECT_EQ(tags(batch), (std::vector<int>{1, 2}));
}

} // namespace
} // namespace herald::store::test
