#pragma once
// Who a verified token speaks for, in Herald's terms (SPEC section 2, "Claims").

#include "auth/token_error.hpp"
#include "core/clock.hpp"

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <optional>
#include <string>
#include <vector>

namespace herald::auth {

struct Principal {
  std::string user_id;                  // never empty; the socket joins `user:{user_id}`
  std::vector<std::string> departments; // `dept:{id}` rooms; no duplicates, in token order
  std::string username;                 // may be empty
  std::string display_name;             // defaults to username, then user_id
  std::vector<std::string> roles;
  std::optional<core::WallTime> expires_at; // from `exp`; when the live connection must end
};

// Maps verified claims: user id from `sub`, else `user_id` (string or integer); `departments`
// (array of strings or integers), optional `username`, `display_name`, `roles`, `exp`.
// missing_user_id when no usable id, invalid_claims when a claim has the wrong type.
boost::system::result<Principal, TokenError> principal_from_claims(const boost::json::object& claims);

// Whether the principal may act as a producer (roles `service` or `admin`).
bool is_producer(const Principal& principal);

} // namespace herald::auth
