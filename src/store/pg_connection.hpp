#pragma once
// One libpq connection with its prepared statements, and the small value types around it.
// libpq-fe.h stays in pg_connection.cpp: users see only opaque handles.
//
// A connection that was lost stays an object: every query on it answers unavailable, and
// reconnect() (the store threads call it before each job) dials again and forgets the
// statements prepared on the old session.

#include "notify/result.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct pg_conn;
struct pg_result;

namespace herald::store {

// The parameters of one statement, in text form: the server parses them into the types
// it inferred at prepare time ($1::bigint where it cannot infer). PostgreSQL text holds
// no NUL byte; a value with one is refused by PgConnection::query as invalid.
class PgParams {
public:
  PgParams& add(std::int64_t value);
  PgParams& add(std::string_view value);
  PgParams& add(const std::string& value) { return add(std::string_view(value)); }
  PgParams& add(const char* value) { return add(std::string_view(value)); }
  PgParams& add(std::optional<std::int64_t> value);
  PgParams& add_null();

  std::size_t size() const { return values_.size(); }
  bool has_nul() const { return has_nul_; }
  // Pointers into this object for PQexecPrepared; valid while it lives unchanged.
  std::vector<const char*> pointers() const;

private:
  std::vector<std::string> values_;
  std::vector<bool> null_;
  bool has_nul_ = false;
};

// A text array literal ({"a","b"}) for a text[] parameter.
std::string pg_text_array(const std::vector<std::string>& values);

// The rows of one statement. Owns its PGresult.
class PgResult {
public:
  explicit PgResult(pg_result* result) : result_(result) {}
  PgResult(PgResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult();

  int rows() const;
  // Rows changed by INSERT/UPDATE/DELETE.
  std::int64_t affected() const;
  bool is_null(int row, int col) const;
  std::string text(int row, int col) const;
  std::int64_t int64(int row, int col) const;
  std::optional<std::int64_t> optional_int64(int row, int col) const;

private:
  friend class PgConnection;
  pg_result* result_;
};

class PgConnection {
public:
  // Connects to `url` (postgres://user:pass@host:port/db?options, as libpq reads it).
  // unavailable when the server cannot be reached.
  static notify::Result<std::unique_ptr<PgConnection>> open(const std::string& url);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs SQL without parameters (may hold several statements).
  notify::Result<void> exec(const char* sql);
  // Runs `sql` as a prepared statement, prepared on its first use on this session.
  notify::Result<PgResult> query(std::string_view sql, const PgParams& params = {});
  // false once the session was lost.
  bool connected() const;
  // A statement failed in the open transaction, which now refuses everything until a
  // ROLLBACK (TO SAVEPOINT); COMMIT would silently roll it back.
  bool in_failed_transaction() const;
  // Dials again when the session was lost; ok when connected.
  notify::Result<void> reconnect();

private:
  PgConnection(std::string url, pg_conn* conn) : url_(std::move(url)), conn_(conn) {}
  // Turns a failed result (or a lost session when `result` is null) into a StoreError.
  notify::StoreError error(const pg_result* result, std::string_view what) const;

  std::string url_;
  pg_conn* conn_;
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
  };
  std::unordered_map<std::string, std::string, SqlHash, std::equal_to<>> prepared_; // sql -> name
};

} // namespace herald::store
