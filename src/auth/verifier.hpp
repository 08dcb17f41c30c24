#pragma once
// Strict JWS compact verification: one configured algorithm, signature before claims, and the
// registered time / issuer / audience claims checked against an injected clock.

#include "auth/algorithm.hpp"
#include "auth/config_error.hpp"
#include "auth/key_set.hpp"
#include "auth/token_error.hpp"
#include "core/clock.hpp"

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace herald::auth {

struct VerifierOptions {
  Algorithm algorithm = Algorithm::HS256;
  std::string secret;         // HS256
  std::string public_key_pem; // RS256 / ES256: this, or jwks_json, not both
  std::string jwks_json;
  std::optional<std::string> issuer;   // checked against `iss` when set
  std::optional<std::string> audience; // must appear in `aud` (string or array) when set
  // 30 s absorbs ordinary clock skew between the issuer and us without stretching tokens much.
  std::chrono::seconds leeway{30};
  bool require_exp = true;
};

class Verifier {
public:
  // Parses keys once; fails (naming the problem) on a missing secret, an unusable key, or bad options.
  static boost::system::result<Verifier, ConfigError> create(VerifierOptions options);

  // The claims of a token whose signature and registered claims are valid at `now`. Never
  // throws; safe to call concurrently from any number of threads.
  [[nodiscard]] boost::system::result<boost::json::object, TokenError> verify(std::string_view token,
                                                                              core::WallTime now) const;

  Algorithm algorithm() const;
  std::chrono::seconds leeway() const;

private:
  struct State;
  explicit Verifier(std::shared_ptr<const State> state) : state_(std::move(state)) {}

  // Immutable after create(): copies share it, and no call mutates it.
  std::shared_ptr<const State> state_;
};

} // namespace herald::auth
