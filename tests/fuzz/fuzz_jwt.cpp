// Arbitrary bytes as a client's JWT, through what the server runs on a handshake, a refresh
// and an API call: the token sources (query string, handshake auth, Authorization header,
// strip_bearer), Verifier::verify with fixed keys (HS256 secret, RS256 PEM, RS256 JWKS with
// kids, ES256 PEM) at a fixed clock, then principal_from_claims. Nothing crashes, hangs or
// leaks; a refusal is a documented TokenError, never key_error (SERVER_ERROR) for a client's
// bytes, and a principal always names a user.
//
// The first byte picks how the rest is used: as the token itself, or as the header or the
// payload of a token we sign with the HS256 secret (random bytes never carry a valid MAC,
// so only this reaches the claim checks and the principal).
#include "auth/detail/crypto.hpp"
#include "auth/principal.hpp"
#include "auth/token_source.hpp"
#include "auth/verifier.hpp"
#include "core/ids.hpp"
#include "transport/http_message.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

using namespace herald;
using namespace herald::auth;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

constexpr std::string_view kSecret = "herald-test-secret-0123456789-abcdefghijklmnop";
// 2026-01-01T00:00:00Z, the fixed "now" (the golden tokens expire in 2100).
const core::WallTime kNow{std::chrono::seconds(1767225600)};

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(HERALD_AUTH_FIXTURES) + "/" + name, std::ios::binary);
  check(static_cast<bool>(in));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Verifier make(VerifierOptions options) {
  auto verifier = Verifier::create(std::move(options));
  check(verifier.has_value());
  return std::move(*verifier);
}

const std::vector<Verifier>& verifiers() {
  static const std::vector<Verifier> all = [] {
    std::vector<Verifier> v;
    VerifierOptions hs;
    hs.secret = std::string(kSecret);
    v.push_back(make(hs));
    VerifierOptions hs_strict = hs; // issuer, audience and a zero leeway: every claim check runs
    hs_strict.issuer = "herald-tests";
    hs_strict.audience = "herald";
    hs_strict.leeway = std::chrono::seconds(0);
    v.push_back(make(hs_strict));
    VerifierOptions rs;
    rs.algorithm = Algorithm::RS256;
    rs.public_key_pem = fixture("rsa1_public.pem");
    v.push_back(make(rs));
    VerifierOptions rs_jwks;
    rs_jwks.algorithm = Algorithm::RS256;
    rs_jwks.jwks_json = fixture("jwks.json");
    v.push_back(make(rs_jwks));
    VerifierOptions es;
    es.algorithm = Algorithm::ES256;
    es.public_key_pem = fixture("ec1_public.pem");
    v.push_back(make(es));
    return v;
  }();
  return all;
}

// A refusal names one of the documented reasons, and a client's bytes are never the
// server's fault.
void check_refusal(TokenError error) {
  check(error != TokenError::key_error);
  const auto code = error_code(error);
  check(code == "INVALID_TOKEN" || code == "EXPIRED_TOKEN");
  check(describe(error) != "unknown token error");
}

// Verifies with every verifier; returns how many accepted.
int verify_all(std::string_view token) {
  int accepted = 0;
  for (const auto& verifier : verifiers()) {
    auto claims = verifier.verify(token, kNow);
    if (!claims) {
      check_refusal(claims.error());
      if (token.empty()) check(claims.error() == TokenError::missing_token);
      continue;
    }
    ++accepted;
    auto principal = principal_from_claims(*claims);
    if (!principal) {
      check_refusal(principal.error());
      check(principal.error() == TokenError::missing_user_id ||
            principal.error() == TokenError::invalid_claims);
      continue;
    }
    check(!principal->user_id.empty());
    check(!principal->display_name.empty());
    for (const auto& d : principal->departments)
      check(!d.empty());
    if (principal->expires_at) check(*principal->expires_at >= kNow - verifier.leeway());
  }
  return accepted;
}

// The token sources, as the gateway and the API feed them.
void sources(std::string_view bytes) {
  const std::string_view stripped = strip_bearer(bytes);
  check(stripped.size() <= bytes.size());
  if (!stripped.empty()) {
    check(stripped.front() != ' ' && stripped.back() != ' ');
    check(bytes.find(stripped) != std::string_view::npos);
  }
  const auto from_header = extract_token(std::nullopt, std::nullopt, bytes);
  check(from_header.has_value() == !stripped.empty());
  if (from_header) check(*from_header == stripped);
  // The handshake's auth.token comes first, whatever the other sources hold.
  const auto from_auth = extract_token(bytes, "q", "Bearer h");
  check(from_auth.has_value());
  check(*from_auth == (stripped.empty() ? std::string_view("q") : stripped));

  // The query string of the handshake: ?token=... among other parameters.
  if (const auto params = transport::parse_query_params(bytes)) {
    for (const auto& [key, value] : *params) {
      if (key != "token") continue;
      if (auto token = extract_token(std::nullopt, value, std::nullopt)) verify_all(*token);
      break;
    }
  }
  verify_all(stripped);
}

std::string b64(std::string_view bytes) { return core::base64url_encode(bytes); }

// header '.' payload '.' HS256 MAC, so verification reaches what the bytes say.
std::string hs256_token(std::string_view header, std::string_view payload) {
  std::string input = b64(header) + "." + b64(payload);
  const auto mac = detail::hmac_sha256(kSecret, input);
  check(mac.has_value());
  return input + "." + b64(*mac);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, std::size_t size) {
  if (size == 0) {
    verify_all({});
    return 0;
  }
  const std::string_view bytes(reinterpret_cast<const char*>(input + 1), size - 1);
  switch (input[0] % 3) {
  case 0:
    sources(bytes);
    verify_all(bytes);
    break;
  case 1: {
    // The bytes as the claims of a correctly signed token.
    const std::string token = hs256_token(R"({"alg":"HS256","typ":"JWT"})", bytes);
    if (verify_all(token) == 0) {
      // The MAC is right and the header plain: only the claims can have been refused.
      auto claims = verifiers().front().verify(token, kNow);
      check(!claims && claims.error() != TokenError::bad_signature &&
            claims.error() != TokenError::alg_not_allowed);
    }
    break;
  }
  default:
    // The bytes as the header of a correctly signed token with good claims.
    verify_all(hs256_token(bytes, R"({"sub":"u-1","exp":4102444800,"iss":"herald-tests","aud":"herald"})"));
    break;
  }
  return 0;
}
