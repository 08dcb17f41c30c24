#pragma once
// Why a token was refused, and how each reason is named on the wire (SPEC section 2).

#include <boost/assert/source_location.hpp>

#include <string_view>

namespace herald::auth {

enum class TokenError {
  missing_token,   // no source carried a token
  malformed,       // not three base64url segments of JSON objects, or a claim of the wrong type
  alg_not_allowed, // `none`, or any algorithm other than the configured one
  bad_signature,
  unknown_kid,   // no key in the set matches the token's `kid`
  expired,       // exp + leeway <= now
  not_yet_valid, // nbf - leeway > now
  missing_exp,   // exp is required and absent
  wrong_issuer,
  wrong_audience,
  missing_user_id, // neither `sub` nor `user_id` names a user
  invalid_claims,  // a Herald claim (departments, roles, ...) has the wrong type
  key_error,       // the server's key or crypto library failed: not the client's fault
};

// The wire code: "EXPIRED_TOKEN", "SERVER_ERROR" for key errors, else "INVALID_TOKEN".
std::string_view error_code(TokenError error);
// A short human explanation for logs; never sent to clients.
std::string_view describe(TokenError error);
// Lets boost::system::result<T, TokenError>::value() throw; found by ADL.
[[noreturn]] void throw_exception_from_error(TokenError const& error, boost::source_location const& loc);

} // namespace herald::auth
