#pragma once
// A key or verifier option that cannot be used; reported once, at start-up.

#include <boost/assert/source_location.hpp>

#include <string>

namespace herald::auth {

struct ConfigError {
  std::string message; // names the problem, e.g. "JWKS key 'k1': crv must be P-256"
};

// Lets boost::system::result<T, ConfigError>::value() throw std::runtime_error; found by ADL.
[[noreturn]] void throw_exception_from_error(ConfigError const& error, boost::source_location const& loc);

} // namespace herald::auth
