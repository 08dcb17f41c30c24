#pragma once
// A borrowed prepared statement from a Connection's cache. On destruction it is reset and
// its bindings cleared, so the next borrower starts clean and no read transaction is held.

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald::store {

class Statement {
public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  Statement(Statement&& other) noexcept : stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { release(); }

  // Parameters are 1-based, as in the SQL text (?1, ?2, ...).
  void bind(int index, std::int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
  // The text is copied by SQLite (SQLITE_TRANSIENT): the caller's buffer may go away.
  void bind(int index, std::string_view value) {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  }
  void bind(int index, const std::string& value) { bind(index, std::string_view(value)); }
  void bind(int index, const char* value) { bind(index, std::string_view(value)); }
  void bind(int index, std::optional<std::int64_t> value) {
    if (value) {
      bind(index, *value);
    } else {
      sqlite3_bind_null(stmt_, index);
    }
  }

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(stmt_); }
  // Makes the statement runnable again with new bindings (a loop of inserts).
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  // Columns are 0-based.
  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::optional<std::int64_t> optional_int64(int col) const {
    if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_int64(stmt_, col);
  }
  std::string text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
  }

private:
  void release() {
    if (stmt_) reset();
    stmt_ = nullptr;
  }
  sqlite3_stmt* stmt_;
};

} // namespace herald::store
