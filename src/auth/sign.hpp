#pragma once
// Token issuing, for `herald token` and for tests. Servers only verify.

#include "auth/algorithm.hpp"
#include "auth/config_error.hpp"

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace herald::auth {

// A compact JWS of `claims`; `key` is the HS256 secret or an unencrypted private key PEM for
// RS256 / ES256. The header is {"alg", "typ": "JWT"} plus `kid` when given. Fails on an
// unusable key (empty secret, wrong key type or curve, RSA under 2048 bits).
boost::system::result<std::string, ConfigError> sign(const boost::json::object& claims, Algorithm algorithm,
                                                     std::string_view key,
                                                     std::optional<std::string_view> kid = std::nullopt);

} // namespace herald::auth
