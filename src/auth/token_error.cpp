#include "auth/token_error.hpp"

#include <boost/throw_exception.hpp>

#include <stdexcept>
#include <string>

namespace herald::auth {

std::string_view error_code(TokenError error) {
  switch (error) {
  case TokenError::expired:
    return "EXPIRED_TOKEN";
  case TokenError::key_error:
    return "SERVER_ERROR";
  default:
    return "INVALID_TOKEN";
  }
}

std::string_view describe(TokenError error) {
  switch (error) {
  case TokenError::missing_token:
    return "no token in auth.token, ?token= or Authorization";
  case TokenError::malformed:
    return "malformed token";
  case TokenError::alg_not_allowed:
    return "token algorithm not allowed";
  case TokenError::bad_signature:
    return "bad token signature";
  case TokenError::unknown_kid:
    return "no key matches the token's kid";
  case TokenError::expired:
    return "token expired";
  case TokenError::not_yet_valid:
    return "token not yet valid (nbf)";
  case TokenError::missing_exp:
    return "token has no exp";
  case TokenError::wrong_issuer:
    return "token issuer (iss) not accepted";
  case TokenError::wrong_audience:
    return "token audience (aud) not accepted";
  case TokenError::missing_user_id:
    return "token names no user (sub / user_id)";
  case TokenError::invalid_claims:
    return "token claims have the wrong type";
  case TokenError::key_error:
    return "server key or crypto failure";
  }
  return "unknown token error";
}

void throw_exception_from_error(TokenError const& error, boost::source_location const& loc) {
  boost::throw_exception(std::runtime_error(std::string(describe(error))), loc);
}

} // namespace herald::auth
