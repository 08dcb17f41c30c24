#pragma once
// One queued repository request: the SQL to run on a store thread and the callback that
// receives its outcome once the outcome is final (after COMMIT, for writes). Templates
// over the connection type, so that SQLite (Connection) and PostgreSQL (PgConnection)
// share the queueing and the delivery of outcomes.

#include "notify/repository.hpp"

#include <exception>
#include <optional>
#include <string>
#include <utility>

namespace herald::store {

template <class Conn> class ReceiptJob;

// How long the writer may hold a request back for company, so that more requests share
// its transaction.
enum class Patience {
  none, // someone waits on it: it goes at once and takes everything queued along
  // A fan-out to departments or everyone: it costs milliseconds of inserts anyway, and a
  // few such notifications committed together reach each socket in one write, not one
  // each. Worth a short wait (the queue's bulk linger).
  bulk,
  lazy, // nobody waits on it: up to the queue's linger
};

template <class Conn> class Job {
public:
  virtual ~Job() = default;
  // Runs the request; false when it failed and its changes must be rolled back.
  virtual bool run(Conn& conn) = 0;
  // Delivers the outcome. `commit_error` is set when the enclosing transaction did not
  // commit: a request that succeeded then reports that error instead.
  virtual void finish(const notify::StoreError* commit_error) = 0;
  // Delivers `error` without running (queue full, store closed).
  virtual void reject(notify::StoreError error) = 0;
  // The request is one statement: SQLite undoes a failed statement by itself, so the
  // writer runs it without a savepoint of its own (two statements fewer per receipt).
  virtual bool single_statement() const { return false; }
  // How long the writer may hold the request back for company (see Patience).
  virtual Patience patience() const { return Patience::none; }
  // A receipt: the writer applies a run of queued receipts in one statement.
  virtual ReceiptJob<Conn>* as_receipt() { return nullptr; }
};

// A job whose outcome is a Result<T> for one callback: how it is delivered, whatever runs it.
template <class Conn, class T> class OutcomeJob : public Job<Conn> {
public:
  explicit OutcomeJob(notify::Callback<T> done) : done_(std::move(done)) {}

  void finish(const notify::StoreError* commit_error) override {
    if (!result_) {
      result_.emplace(commit_error ? *commit_error
                                   : notify::StoreError{notify::StoreErrc::io, "request was not run"});
    } else if (commit_error && result_->ok()) {
      result_.emplace(*commit_error);
    }
    if (done_) done_(std::move(*result_));
  }

  void reject(notify::StoreError error) override {
    if (done_) done_(notify::Result<T>(std::move(error)));
  }

  // Records the outcome of `body()`; true when it succeeded.
  template <class Fn> bool record(Fn&& body) {
    try {
      result_.emplace(body());
    } catch (const std::exception& e) {
      // Only allocation failures can get here; they fail this request alone.
      result_.emplace(notify::StoreError{notify::StoreErrc::io, e.what()});
    }
    return result_->ok();
  }
  void set_result(notify::Result<T> result) { result_.emplace(std::move(result)); }

private:
  notify::Callback<T> done_;
  std::optional<notify::Result<T>> result_;
};

// Body: Result<T>(Conn&).
template <class Conn, class T, class Body> class TypedJob final : public OutcomeJob<Conn, T> {
public:
  TypedJob(Body body, notify::Callback<T> done, Patience patience = Patience::none)
      : OutcomeJob<Conn, T>(std::move(done)), body_(std::move(body)), patience_(patience) {}

  Patience patience() const override { return patience_; }
  bool run(Conn& conn) override {
    return this->record([&] { return body_(conn); });
  }

private:
  Body body_;
  Patience patience_;
};

// A receipt (acknowledge). Alone it runs as one UPDATE; the writer gives a run of
// consecutive receipts to its backend's acknowledge_all instead, one statement for all.
// Each backend defines run() beside its queries.
template <class Conn> class ReceiptJob final : public OutcomeJob<Conn, void> {
public:
  ReceiptJob(std::string user_id, std::string recipient_id, core::WallTime at, notify::Callback<void> done)
      : OutcomeJob<Conn, void>(std::move(done)), user_id_(std::move(user_id)),
        recipient_id_(std::move(recipient_id)), at_(at) {}

  bool single_statement() const override { return true; }
  ReceiptJob* as_receipt() override { return this; }
  const std::string& user_id() const { return user_id_; }
  const std::string& recipient_id() const { return recipient_id_; }
  core::WallTime at() const { return at_; }

  bool run(Conn& conn) override;

private:
  std::string user_id_;
  std::string recipient_id_;
  core::WallTime at_;
};

} // namespace herald::store
