#pragma once
// One SQLite connection with its prepared-statement cache. Not thread-safe by itself: the
// thread that uses it holds mutex() (uncontended for file databases, where each thread
// has its own connection; shared for :memory:, which only one connection can see).

#include "notify/result.hpp"
#include "store/statement.hpp"

#include <sqlite3.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace herald::store {

struct ConnectionOptions {
  std::chrono::milliseconds busy_timeout{5000};
  bool fsync_every_commit = false; // synchronous=FULL instead of NORMAL; see connection.cpp
  bool query_only = false;         // the reader connection: refuses writes as a safety net
  int cache_kib = 64 * 1024;       // page cache per connection
};

class Connection {
public:
  // Opens (creating if needed) the database at `path` (":memory:" for a private one) and
  // applies the per-connection pragmas.
  static notify::Result<std::unique_ptr<Connection>> open(const std::string& path,
                                                          const ConnectionOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs SQL that returns no rows (may hold several statements).
  notify::Result<void> exec(const char* sql);
  // The cached prepared statement for `sql`, prepared on first use.
  notify::Result<Statement> prepare(std::string_view sql);
  // Runs a cached statement that returns no rows; for BEGIN/SAVEPOINT on the hot path.
  notify::Result<void> run(std::string_view sql);

  // Turns an SQLite result code into a StoreError: busy/locked -> unavailable,
  // constraint -> conflict, anything else -> io.
  notify::StoreError error(int rc, std::string_view what) const;

  std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  std::int64_t changes() const { return sqlite3_changes64(db_); }
  sqlite3* handle() const { return db_; }
  std::mutex& mutex() { return mutex_; }

private:
  explicit Connection(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  std::mutex mutex_;
  // Transparent hash: prepare() looks a string_view up without building a std::string
  // (an allocation per statement on the receipt path).
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
  };
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> cache_;
};

} // namespace herald::store
