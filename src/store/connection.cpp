#include "store/connection.hpp"

#include <fmt/format.h>

#include <mutex>

namespace herald::store {

using notify::Result;
using notify::StoreErrc;
using notify::StoreError;

namespace {

// SQLite keeps memory statistics under a process-wide mutex taken on every allocation;
// nothing reads them, and on the recipient insert path that lock cost ~8% of the time.
// This only works before SQLite initializes; if another part of the process initialized
// it first, the call fails harmlessly and the statistics stay on.
void configure_sqlite_once() {
  static std::once_flag once;
  std::call_once(once, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

} // namespace

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path,
                                                     const ConnectionOptions& options) {
  configure_sqlite_once();
  sqlite3* db = nullptr;
  // NOMUTEX: each connection is used by one thread at a time under our own mutex, so
  // SQLite's per-call locking would only cost time.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    StoreError err{StoreErrc::io, fmt::format("cannot open SQLite database '{}': {}", path,
                                              db ? sqlite3_errmsg(db) : sqlite3_errstr(rc))};
    sqlite3_close_v2(db);
    return err;
  }
  std::unique_ptr<Connection> conn(new Connection(db));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));
  // WAL: readers never block the writer nor the writer the readers, and a commit is one
  // sequential append. (A :memory: database answers "memory" and stays as it is.)
  //
  // synchronous=NORMAL in WAL mode writes every commit to the WAL file before COMMIT
  // returns but fsyncs only at checkpoints. What reached the OS survives a kill -9 of
  // the process (the page cache belongs to the kernel), which is what SPEC 5 asks for;
  // only a power loss or kernel crash can lose the last commits. FULL (an fsync per
  // commit, amortized by group commit) is the option for that stronger promise.
  std::string pragmas = fmt::format("PRAGMA journal_mode=WAL; PRAGMA synchronous={}; PRAGMA foreign_keys=ON;",
                                    options.fsync_every_commit ? "FULL" : "NORMAL");
  // 64 MiB of page cache (the default is 2 MiB): a 10,000-recipient transaction touches
  // thousands of index pages, and a smaller cache spills them to the WAL mid-transaction.
  pragmas += fmt::format(" PRAGMA cache_size=-{}; PRAGMA temp_store=MEMORY;", options.cache_kib);
  if (options.query_only) pragmas += " PRAGMA query_only=ON;";
  if (auto r = conn->exec(pragmas.c_str()); !r) return r.error();
  return conn;
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_)
    sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Result<void> Connection::exec(const char* sql) {
  char* msg = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &msg);
  if (rc == SQLITE_OK) return {};
  StoreError err = error(rc, msg ? msg : "exec");
  sqlite3_free(msg);
  return err;
}

Result<Statement> Connection::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Statement(it->second);
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                    &stmt, nullptr);
  if (rc != SQLITE_OK) return error(rc, fmt::format("prepare '{}'", sql));
  cache_.emplace(std::string(sql), stmt);
  return Statement(stmt);
}

Result<void> Connection::run(std::string_view sql) {
  auto st = prepare(sql);
  if (!st) return st.error();
  const int rc = st->step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return error(rc, sql);
  return {};
}

StoreError Connection::error(int rc, std::string_view what) const {
  StoreErrc code = StoreErrc::io;
  switch (rc & 0xff) {
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    code = StoreErrc::unavailable;
    break;
  case SQLITE_CONSTRAINT:
    code = StoreErrc::conflict;
    break;
  default:
    break;
  }
  return StoreError{code, fmt::format("{}: {} ({})", what, sqlite3_errmsg(db_), sqlite3_errstr(rc))};
}

} // namespace herald::store
