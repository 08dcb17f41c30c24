#include "auth/verifier.hpp"

#include "auth/detail/crypto.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cmath>

namespace herald::auth {

namespace json = boost::json;

struct Verifier::State {
  VerifierOptions options;
  std::optional<KeySet> keys; // RS256 / ES256 only
};

namespace {

// Far above any real token (a few hundred departments fit in 8 KB), and it bounds the JSON
// parse an unauthenticated client can make us do.
constexpr std::size_t kMaxTokenBytes = 16 * 1024;

struct Segments {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
  std::string_view signing_input; // header '.' payload, exactly as received
};

// Exactly three dot-separated segments (JWS compact form; JWE's five are refused).
std::optional<Segments> split(std::string_view token) {
  const auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
    return std::nullopt;
  return Segments{token.substr(0, first), token.substr(first + 1, second - first - 1),
                  token.substr(second + 1), token.substr(0, second)};
}

std::optional<json::object> parse_object(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.get_object());
}

// NumericDate as seconds; nullopt when the claim is not a finite JSON number. (Boost.JSON
// reads "0e310" as NaN, which compares false both ways: it would never expire.)
std::optional<double> numeric_date(const json::value& value) {
  if (!value.is_number()) return std::nullopt;
  boost::system::error_code ec;
  const double seconds = value.to_number<double>(ec);
  if (ec || !std::isfinite(seconds)) return std::nullopt;
  return seconds;
}

bool audience_matches(const json::value* aud, std::string_view wanted) {
  if (aud == nullptr) return false;
  if (aud->is_string()) return aud->get_string() == wanted;
  if (!aud->is_array()) return false;
  for (const auto& item : aud->get_array()) {
    if (item.is_string() && item.get_string() == wanted) return true;
  }
  return false;
}

// The registered claims, in the order a client most needs to hear about them.
std::optional<TokenError> check_claims(const json::object& claims, const VerifierOptions& options,
                                       core::WallTime now) {
  const double now_s = std::chrono::duration<double>(now.time_since_epoch()).count();
  const auto leeway = static_cast<double>(options.leeway.count());
  if (const auto* exp = claims.if_contains("exp")) {
    const auto at = numeric_date(*exp);
    if (!at) return TokenError::malformed;
    // RFC 7519: the token is valid only strictly before exp (here exp + leeway).
    if (*at + leeway <= now_s) return TokenError::expired;
  } else if (options.require_exp) {
    return TokenError::missing_exp;
  }
  if (const auto* nbf = claims.if_contains("nbf")) {
    const auto at = numeric_date(*nbf);
    if (!at) return TokenError::malformed;
    if (*at - leeway > now_s) return TokenError::not_yet_valid;
  }
  if (options.issuer) {
    const auto* iss = claims.if_contains("iss");
    if (iss == nullptr || !iss->is_string() || iss->get_string() != *options.issuer)
      return TokenError::wrong_issuer;
  }
  if (options.audience && !audience_matches(claims.if_contains("aud"), *options.audience))
    return TokenError::wrong_audience;
  return std::nullopt;
}

} // namespace

boost::system::result<Verifier, ConfigError> Verifier::create(VerifierOptions options) {
  if (options.leeway.count() < 0) return ConfigError{"auth.leeway must not be negative"};
  auto state = std::make_shared<State>();
  switch (options.algorithm) {
  case Algorithm::HS256:
    if (options.secret.empty()) return ConfigError{"HS256 needs a non-empty auth.jwt_secret"};
    break;
  case Algorithm::RS256:
  case Algorithm::ES256: {
    const std::string alg(to_string(options.algorithm));
    const bool has_pem = !options.public_key_pem.empty();
    const bool has_jwks = !options.jwks_json.empty();
    if (has_pem && has_jwks)
      return ConfigError{alg + ": set auth.public_key_file or auth.jwks_file, not both"};
    if (!has_pem && !has_jwks) return ConfigError{alg + " needs auth.public_key_file or auth.jwks_file"};
    auto keys = has_pem ? KeySet::from_pem(options.public_key_pem, options.algorithm)
                        : KeySet::from_jwks(options.jwks_json, options.algorithm);
    if (!keys) return keys.error();
    state->keys.emplace(std::move(*keys));
    break;
  }
  }
  state->options = std::move(options);
  return Verifier(std::move(state));
}

boost::system::result<json::object, TokenError> Verifier::verify(std::string_view token,
                                                                 core::WallTime now) const {
  const VerifierOptions& options = state_->options;
  if (token.empty()) return TokenError::missing_token;
  if (token.size() > kMaxTokenBytes) return TokenError::malformed;
  const auto parts = split(token);
  if (!parts) return TokenError::malformed;

  const auto header_bytes = detail::decode_base64url(parts->header);
  if (!header_bytes) return TokenError::malformed;
  const auto header = parse_object(*header_bytes);
  if (!header) return TokenError::malformed;
  const auto* alg = header->if_contains("alg");
  if (alg == nullptr || !alg->is_string()) return TokenError::malformed;
  // The allow-list is one name: this refuses `none` and key confusion (an HS256 token
  // "signed" with our RSA public key) before any key is touched.
  if (alg->get_string() != to_string(options.algorithm)) return TokenError::alg_not_allowed;
  // We implement no JWS extension, and RFC 7515 says to refuse what `crit` lists.
  if (header->contains("crit")) return TokenError::malformed;
  std::optional<std::string_view> kid;
  if (const auto* k = header->if_contains("kid")) {
    if (!k->is_string()) return TokenError::malformed;
    kid = k->get_string();
  }

  const auto payload_bytes = detail::decode_base64url(parts->payload);
  const auto signature = detail::decode_base64url(parts->signature);
  if (!payload_bytes || !signature) return TokenError::malformed;

  detail::Check check = detail::Check::invalid;
  if (options.algorithm == Algorithm::HS256) {
    check = detail::verify_hmac(options.secret, parts->signing_input, *signature);
  } else {
    EVP_PKEY* key = state_->keys->find(kid);
    if (key == nullptr) return TokenError::unknown_kid;
    check = detail::verify_pkey(options.algorithm, key, parts->signing_input, *signature);
  }
  if (check == detail::Check::failure) return TokenError::key_error;
  if (check == detail::Check::invalid) return TokenError::bad_signature;

  // Claims are parsed only once they are known to come from the issuer.
  auto claims = parse_object(*payload_bytes);
  if (!claims) return TokenError::malformed;
  if (const auto error = check_claims(*claims, options, now)) return *error;
  return std::move(*claims);
}

Algorithm Verifier::algorithm() const { return state_->options.algorithm; }

std::chrono::seconds Verifier::leeway() const { return state_->options.leeway; }

} // namespace herald::auth
