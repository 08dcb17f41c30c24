#pragma once
// Shared by the store tests: a repository on SQLite :memory:, on a SQLite file in a fresh
// temp dir, or on a fresh database of a real PostgreSQL server (each contract test runs
// against all three), a synchronous call helper and a fixed clock.

#include "core/clock.hpp"
#include "pg_server.hpp"
#include "store/pg_repository.hpp"
#include "store/sqlite_repository.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <string>

namespace herald::store::test {

using notify::Result;

// Calls `start(callback)` and waits for the callback's result.
template <class T, class Start> Result<T> call(Start&& start) {
  std::promise<Result<T>> promise;
  auto future = promise.get_future();
  start([&promise](Result<T> r) { promise.set_value(std::move(r)); });
  return future.get();
}

// A fresh directory under the system temp dir, removed at the end of the test.
class TempDir {
public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "herald-store-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
};

enum class Backing { memory, file, postgres };

inline std::string backing_name(const testing::TestParamInfo<Backing>& info) {
  switch (info.param) {
  case Backing::memory:
    return "Memory";
  case Backing::file:
    return "File";
  case Backing::postgres:
    return "Postgres";
  }
  return "Unknown";
}

inline auto all_backings() { return testing::Values(Backing::memory, Backing::file, Backing::postgres); }

class StoreTest : public testing::TestWithParam<Backing> {
protected:
  void SetUp() override {
    if (GetParam() == Backing::postgres) {
      // Fails the test (never skips it) when PostgreSQL cannot start here.
      ASSERT_NO_THROW(pg_url_ = PgServer::instance().create_database());
    }
    repo_ = open();
    ASSERT_NE(repo_, nullptr);
  }
  void TearDown() override {
    if (repo_) repo_->close();
  }

  std::string url() const {
    switch (GetParam()) {
    case Backing::memory:
      return "sqlite://:memory:";
    case Backing::file:
      return "sqlite://" + (dir_.path() / "herald.db").string();
    case Backing::postgres:
      return pg_url_;
    }
    return {};
  }

  // A repository on this test's database; `options` apply to either backend.
  std::unique_ptr<notify::Repository> open(StoreOptions options = {}) {
    auto opened = [](auto repo) -> std::unique_ptr<notify::Repository> {
      if (!repo) {
        ADD_FAILURE() << repo.error().message;
        return nullptr;
      }
      return std::move(repo).value();
    };
    if (GetParam() == Backing::postgres) {
      PgOptions pg;
      static_cast<StoreOptions&>(pg) = options;
      return opened(PgRepository::open(url(), pg));
    }
    SqliteOptions sqlite;
    static_cast<StoreOptions&>(sqlite) = options;
    return opened(SqliteRepository::open(url(), sqlite));
  }

  StoreStats stats() const {
    if (GetParam() == Backing::postgres) return static_cast<PgRepository&>(*repo_).stats();
    return static_cast<SqliteRepository&>(*repo_).stats();
  }

  // Stores a notification to `users` and answers it; the clock moves 1 s afterwards so
  // that every notification has its own created_at unless a test wants ties.
  notify::CreatedNotification send(std::vector<std::string> users, std::string title = "t",
                                   std::optional<std::string> key = std::nullopt) {
    notify::CreateNotificationRequest req;
    req.title = std::move(title);
    req.content = "c";
    req.content_html = "<p>c</p>\n";
    req.type_id = "info";
    req.sender = {"svc", "service", "Service"};
    req.targets.users = std::move(users);
    req.idempotency_key = std::move(key);
    req.created_at = clock_.wall_now();
    clock_.advance(std::chrono::seconds(1));
    auto r = call<notify::CreatedNotification>([&](auto cb) { repo_->create_notification(req, cb); });
    if (!r) {
      ADD_FAILURE() << r.error().message;
      return {};
    }
    return std::move(r).value();
  }

  std::int64_t unread(const std::string& user) {
    auto r = call<std::int64_t>([&](auto cb) { repo_->unread_count(user, cb); });
    EXPECT_TRUE(r.ok());
    return r ? r.value() : -1;
  }

  TempDir dir_;
  std::string pg_url_; // this test's own database, for Backing::postgres
  core::ManualClock clock_;
  std::unique_ptr<notify::Repository> repo_;
};

// Holds the writer thread inside a callback until release(), so that the requests
// submitted meanwhile queue up and form the next batch.
class WriterGate {
public:
  explicit WriterGate(notify::Repository& repo) {
    // The callback owns copies of the shared states: it may still be returning from
    // wait() after this gate is gone.
    auto entered = std::make_shared<std::promise<void>>();
    auto entered_future = entered->get_future();
    repo.mark_all_read("gate-nobody", core::WallTime{},
                       [entered, release = release_future_](Result<std::int64_t>) {
                         entered->set_value();
                         release.wait();
                       });
    entered_future.wait();
  }
  ~WriterGate() { release(); }
  void release() {
    if (!released_) {
      released_ = true;
      release_.set_value();
    }
  }

private:
  std::promise<void> release_;
  std::shared_future<void> release_future_ = release_.get_future().share();
  bool released_ = false;
};

} // namespace herald::store::test
