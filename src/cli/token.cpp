#include "app/herald_server.hpp"
#include "auth/sign.hpp"
#include "cli/commands.hpp"
#include "core/clock.hpp"

#include <boost/json/array.hpp>
#include <iostream>

namespace herald::cli {

std::string mint_token(const app::Config& config, const TokenOptions& options) {
  if (config.auth.algorithm != "HS256")
    throw std::runtime_error("herald token signs HS256 tokens only; auth.algorithm is " +
                             config.auth.algorithm);
  const auto ttl = app::parse_duration(options.ttl);
  if (!ttl || ttl->count() <= 0) throw std::runtime_error("--ttl: \"" + options.ttl + "\" is not a duration");
  const auto now = core::SystemClock::instance().wall_now();
  boost::json::object claims;
  claims["sub"] = options.user;
  boost::json::array depts(options.departments.begin(), options.departments.end());
  claims["departments"] = std::move(depts);
  if (!options.roles.empty())
    claims["roles"] = boost::json::array(options.roles.begin(), options.roles.end());
  if (!options.username.empty()) claims["username"] = options.username;
  if (!options.display_name.empty()) claims["display_name"] = options.display_name;
  claims["iat"] = core::unix_seconds(now);
  claims["exp"] = core::unix_seconds(now + *ttl);
  if (config.auth.issuer) claims["iss"] = *config.auth.issuer;
  if (config.auth.audience) claims["aud"] = *config.auth.audience;
  auto token = auth::sign(claims, auth::Algorithm::HS256, app::resolve_jwt_secret(config));
  if (!token) throw std::runtime_error(token.error().message);
  return *token;
}

int token(const app::Config& config, const TokenOptions& options) {
  std::cout << mint_token(config, options) << "\n";
  return 0;
}

} // namespace herald::cli
