#pragma once
// The outcome of a repository operation: a value or a StoreError. The store never throws
// across the Repository interface; each layer above maps StoreErrc to its own wire form
// (the API: not_found -> 404, conflict -> 409, invalid -> 400, unavailable -> 503).

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace herald::notify {

enum class StoreErrc {
  not_found,   // no such record, or it belongs to someone else
  conflict,    // a unique key already exists
  invalid,     // the request names something that cannot exist (unknown type, bad cursor)
  unavailable, // the store cannot take the request now (queue full, closed, database busy)
  io,          // the database failed (disk, corruption); retrying will probably not help
};

// Stable lower-case name of the code, for logs and metrics.
const char* to_string(StoreErrc code);

struct StoreError {
  StoreErrc code = StoreErrc::io;
  std::string message;
};

template <class T> class [[nodiscard]] Result {
public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(StoreError error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Precondition: ok().
  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // Precondition: !ok().
  const StoreError& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

private:
  std::variant<T, StoreError> v_;
};

// Result<void>: success carries nothing.
template <> class [[nodiscard]] Result<void> {
public:
  Result() = default;
  Result(StoreError error) : error_(std::move(error)), failed_(true) {}

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  // Precondition: !ok().
  const StoreError& error() const {
    assert(failed_);
    return error_;
  }

private:
  StoreError error_;
  bool failed_ = false;
};

} // namespace herald::notify
