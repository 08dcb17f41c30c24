#include "store/pg_connection.hpp"

#include <libpq-fe.h>

#include <charconv>

namespace herald::store {

using notify::Result;
using notify::StoreErrc;
using notify::StoreError;

PgParams& PgParams::add(std::int64_t value) {
  values_.push_back(std::to_string(value));
  null_.push_back(false);
  return *this;
}

PgParams& PgParams::add(std::string_view value) {
  if (value.find('\0') != std::string_view::npos) has_nul_ = true;
  values_.emplace_back(value);
  null_.push_back(false);
  return *this;
}

PgParams& PgParams::add(std::optional<std::int64_t> value) { return value ? add(*value) : add_null(); }

PgParams& PgParams::add_null() {
  values_.emplace_back();
  null_.push_back(true);
  return *this;
}

std::vector<const char*> PgParams::pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (std::size_t i = 0; i < values_.size(); ++i)
    out.push_back(null_[i] ? nullptr : values_[i].c_str());
  return out;
}

std::string pg_text_array(const std::vector<std::string>& values) {
  std::string out = "{";
  for (const auto& v : values) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (const char ch : v) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  out += '}';
  return out;
}

PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    if (result_) PQclear(result_);
    result_ = other.result_;
    other.result_ = nullptr;
  }
  return *this;
}

PgResult::~PgResult() {
  if (result_) PQclear(result_);
}

int PgResult::rows() const { return PQntuples(result_); }

std::int64_t PgResult::affected() const {
  const char* n = PQcmdTuples(result_);
  std::int64_t value = 0;
  std::from_chars(n, n + std::char_traits<char>::length(n), value);
  return value;
}

bool PgResult::is_null(int row, int col) const { return PQgetisnull(result_, row, col) != 0; }

std::string PgResult::text(int row, int col) const {
  return std::string(PQgetvalue(result_, row, col), static_cast<std::size_t>(PQgetlength(result_, row, col)));
}

std::int64_t PgResult::int64(int row, int col) const {
  const char* p = PQgetvalue(result_, row, col);
  std::int64_t value = 0;
  // The columns read this way are bigint or integer: the text always parses.
  std::from_chars(p, p + PQgetlength(result_, row, col), value);
  return value;
}

std::optional<std::int64_t> PgResult::optional_int64(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  return int64(row, col);
}

namespace {

// Notices (a migration's "already exists, skipping") would go to stderr otherwise.
void ignore_notice(void*, const char*) {}

std::string trimmed(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

} // namespace

Result<std::unique_ptr<PgConnection>> PgConnection::open(const std::string& url) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (!conn) return StoreError{StoreErrc::io, "out of memory opening a PostgreSQL connection"};
  if (PQstatus(conn) != CONNECTION_OK) {
    StoreError e{StoreErrc::unavailable, "cannot connect to PostgreSQL: " + trimmed(PQerrorMessage(conn))};
    PQfinish(conn);
    return e;
  }
  PQsetNoticeProcessor(conn, ignore_notice, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(url, conn));
}

PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::connected() const { return PQstatus(conn_) == CONNECTION_OK; }

bool PgConnection::in_failed_transaction() const { return PQtransactionStatus(conn_) == PQTRANS_INERROR; }

Result<void> PgConnection::reconnect() {
  if (connected()) return {};
  // Statements prepared on the lost session do not exist on the new one.
  prepared_.clear();
  PQreset(conn_);
  if (!connected()) {
    return StoreError{StoreErrc::unavailable,
                      "cannot reconnect to PostgreSQL: " + trimmed(PQerrorMessage(conn_))};
  }
  PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
  return {};
}

StoreError PgConnection::error(const pg_result* result, std::string_view what) const {
  std::string message = std::string(what) + ": " + trimmed(PQerrorMessage(conn_));
  if (!connected() || !result) return {StoreErrc::unavailable, std::move(message)};
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const std::string_view code = state ? state : "";
  // Class 23: integrity constraints (a unique key taken). Class 08: connection; 40001 and
  // 40P01: serialization failure and deadlock, worth a retry; 57P0x: the server is
  // shutting down; class 53: out of resources.
  if (code.starts_with("23")) return {StoreErrc::conflict, std::move(message)};
  if (code.starts_with("08") || code == "40001" || code == "40P01" || code.starts_with("57P") ||
      code.starts_with("53"))
    return {StoreErrc::unavailable, std::move(message)};
  return {StoreErrc::io, std::move(message)};
}

Result<void> PgConnection::exec(const char* sql) {
  if (!connected()) return error(nullptr, "PostgreSQL connection lost");
  PgResult r(PQexec(conn_, sql));
  const auto status = PQresultStatus(r.result_);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return error(r.result_, "exec");
  return {};
}

Result<PgResult> PgConnection::query(std::string_view sql, const PgParams& params) {
  if (params.has_nul()) return StoreError{StoreErrc::invalid, "PostgreSQL text cannot hold a NUL byte"};
  if (!connected()) return error(nullptr, "PostgreSQL connection lost");
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "herald_" + std::to_string(prepared_.size() + 1);
    const std::string text(sql);
    PgResult prepared(PQprepare(conn_, name.c_str(), text.c_str(), 0, nullptr));
    if (PQresultStatus(prepared.result_) != PGRES_COMMAND_OK) return error(prepared.result_, "prepare");
    it = prepared_.emplace(text, std::move(name)).first;
  }
  const auto values = params.pointers();
  PgResult r(PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(values.size()), values.data(),
                            nullptr, nullptr, 0));
  const auto status = PQresultStatus(r.result_);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return error(r.result_, "query");
  return r;
}

} // namespace herald::store
