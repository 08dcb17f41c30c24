// herald-store-bench: recipient records written per second by SqliteRepository on a real
// SQLite file in a temp dir, through the public asynchronous interface (queue, writer
// thread, group commit, callbacks), as the service would call it.
//
//   FanOut/...       one notification to 10,000 users of a department
//   ManySingle/...   10,000 notifications to one user each, submitted at once
//   Receipts/...     10,000 acks of one notification's records, submitted at once
//   SerialSingle/... 1,000 notifications to one user each, each awaited before the next
//                    (no grouping: the cost of a lone request)
// The argument is synchronous=FULL (1) or NORMAL (0). The rate is the `records/s` counter;
// `records/cpu_s` divides by the CPU time of the whole process instead (the caller mostly
// waits, so that is the store's CPU), which stays meaningful on a loaded, shared machine.

#include "store/sqlite_repository.hpp"

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>

namespace {

using herald::notify::CreatedNotification;
using herald::notify::CreateNotificationRequest;
using herald::notify::Result;
using herald::store::SqliteOptions;
using herald::store::SqliteRepository;

constexpr int kUsers = 10000;

// User plus system CPU seconds of the process so far.
double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
  return secs(usage.ru_utime) + secs(usage.ru_stime);
}

void report(benchmark::State& state, std::int64_t records, double cpu_before) {
  state.counters["records/s"] = benchmark::Counter(static_cast<double>(records), benchmark::Counter::kIsRate);
  const double cpu = process_cpu_seconds() - cpu_before;
  state.counters["records/cpu_s"] = cpu > 0 ? static_cast<double>(records) / cpu : 0.0;
}

class BenchDb {
public:
  explicit BenchDb(bool fsync_every_commit) {
    std::string pattern = (std::filesystem::temp_directory_path() / "herald-bench-XXXXXX").string();
    if (!mkdtemp(pattern.data())) std::abort();
    dir_ = pattern;
    SqliteOptions options;
    options.fsync_every_commit = fsync_every_commit;
    options.write_queue_capacity = 2 * kUsers; // ManySingle queues all of its requests at once
    auto repo = SqliteRepository::open("sqlite://" + (dir_ / "bench.db").string(), options);
    if (!repo) std::abort();
    repo_ = std::move(repo).value();
    // The directory: kUsers users, all in department "all".
    std::promise<void> done;
    for (int i = 0; i < kUsers; ++i) {
      herald::notify::UserUpdate u{user(i), "user" + std::to_string(i), std::nullopt,
                                   std::vector<std::string>{"all"}};
      repo_->upsert_user(std::move(u), [&, i](auto r) {
        if (!r) std::abort();
        if (i == kUsers - 1) done.set_value();
      });
    }
    done.get_future().wait();
  }
  ~BenchDb() {
    repo_->close();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  static std::string user(int i) { return "u" + std::to_string(i); }
  SqliteRepository& repo() { return *repo_; }

private:
  std::filesystem::path dir_;
  std::unique_ptr<SqliteRepository> repo_;
};

CreateNotificationRequest request(herald::notify::Targets targets) {
  CreateNotificationRequest req;
  req.title = "Build 1234 finished";
  req.content = "The **release** build passed. [Details](https://ci.example.com/1234)";
  req.content_html = "<p>The <strong>release</strong> build passed. "
                     "<a href=\"https://ci.example.com/1234\">Details</a></p>\n";
  req.type_id = "success";
  req.sender = {"ci", "ci-bot", "CI"};
  req.targets = std::move(targets);
  req.created_at = std::chrono::system_clock::now();
  return req;
}

void FanOut(benchmark::State& state) {
  BenchDb db(state.range(0) != 0);
  std::int64_t records = 0;
  const double cpu_before = process_cpu_seconds();
  for (auto _ : state) {
    std::promise<Result<CreatedNotification>> p;
    db.repo().create_notification(request({{}, {"all"}, false}), [&](auto r) { p.set_value(std::move(r)); });
    auto r = p.get_future().get();
    if (!r || r->recipient_count != kUsers) std::abort();
    records += r->recipient_count;
  }
  state.counters["checkpoints"] = static_cast<double>(db.repo().stats().checkpoints);
  // Closing checkpoints what the WAL still holds: that copy is part of the records' cost
  // whatever the checkpoint threshold, so it is measured too.
  db.repo().close();
  report(state, records, cpu_before);
}

void ManySingle(benchmark::State& state) {
  BenchDb db(state.range(0) != 0);
  std::int64_t records = 0;
  const double cpu_before = process_cpu_seconds();
  for (auto _ : state) {
    std::promise<void> all;
    std::atomic<int> left{kUsers};
    for (int i = 0; i < kUsers; ++i) {
      db.repo().create_notification(request({{BenchDb::user(i)}, {}, false}), [&](auto r) {
        if (!r) std::abort();
        if (left.fetch_sub(1) == 1) all.set_value();
      });
    }
    all.get_future().wait();
    records += kUsers;
  }
  report(state, records, cpu_before);
  const auto stats = db.repo().stats();
  state.counters["requests/batch"] = static_cast<double>(stats.write_jobs) /
                                     static_cast<double>(std::max<std::uint64_t>(1, stats.write_batches));
}

void SerialSingle(benchmark::State& state) {
  BenchDb db(state.range(0) != 0);
  constexpr int kSerial = 1000;
  std::int64_t records = 0;
  const double cpu_before = process_cpu_seconds();
  for (auto _ : state) {
    for (int i = 0; i < kSerial; ++i) {
      std::promise<Result<CreatedNotification>> p;
      db.repo().create_notification(request({{BenchDb::user(i)}, {}, false}),
                                    [&](auto r) { p.set_value(std::move(r)); });
      if (!p.get_future().get()) std::abort();
    }
    records += kSerial;
  }
  report(state, records, cpu_before);
}

// Receipts: one department notification to every user, then every user's ack submitted
// at once (as a broadcast's acks arrive); the rate counts receipts.
void Receipts(benchmark::State& state) {
  BenchDb db(state.range(0) != 0);
  std::int64_t receipts = 0;
  double cpu = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::promise<Result<CreatedNotification>> p;
    db.repo().create_notification(request({{}, {"all"}, false}), [&](auto r) { p.set_value(std::move(r)); });
    auto created = p.get_future().get();
    if (!created) std::abort();
    state.ResumeTiming();
    const double cpu_before = process_cpu_seconds();
    std::promise<void> all;
    std::atomic<std::size_t> left{created->recipients.size()};
    for (const auto& r : created->recipients) {
      db.repo().acknowledge(r.user_id, r.recipient_id, std::chrono::system_clock::now(), [&](auto result) {
        if (!result) std::abort();
        if (left.fetch_sub(1) == 1) all.set_value();
      });
    }
    all.get_future().wait();
    cpu += process_cpu_seconds() - cpu_before;
    receipts += static_cast<std::int64_t>(created->recipients.size());
  }
  state.counters["checkpoints"] = static_cast<double>(db.repo().stats().checkpoints);
  // As in FanOut: the final checkpoint is counted (with the notifications' pages in it).
  const double cpu_before_close = process_cpu_seconds();
  db.repo().close();
  cpu += process_cpu_seconds() - cpu_before_close;
  state.counters["receipts/s"] =
      benchmark::Counter(static_cast<double>(receipts), benchmark::Counter::kIsRate);
  state.counters["receipts/cpu_s"] = cpu > 0 ? static_cast<double>(receipts) / cpu : 0.0;
}

// The work happens on the store's writer thread: measure wall time, not this thread's CPU.
// FanOut and Receipts run a fixed number of iterations: a record costs more the larger the
// table already is (every broadcast adds an entry to each user's index pages), so with a
// minimum time a faster build would run more iterations on a larger table and look slower.
BENCHMARK(FanOut)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(10);
BENCHMARK(ManySingle)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(Receipts)->Arg(0)->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(10);
BENCHMARK(SerialSingle)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(1.0);

} // namespace

BENCHMARK_MAIN();
