#pragma once
// Shared helpers of the auth tests: fixture files, fixed times, and hand-built tokens.

#include "auth/algorithm.hpp"
#include "auth/detail/crypto.hpp"
#include "auth/verifier.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace herald::auth {
// Readable gtest output for TokenError values.
inline void PrintTo(TokenError error, std::ostream* os) { *os << describe(error); }
} // namespace herald::auth

namespace herald::auth::test {

// 2026-01-01T00:00:00Z: the "now" of every test.
constexpr std::int64_t kNow = 1767225600;
// 2100-01-01T00:00:00Z and 2020-09-13T12:26:40Z, as in fixtures/make_fixtures.js.
constexpr std::int64_t kFuture = 4102444800;
constexpr std::int64_t kPast = 1600000000;

inline core::WallTime at(std::int64_t unix_seconds) {
  return core::WallTime(std::chrono::seconds(unix_seconds));
}

inline std::string fixture(const std::string& name) {
  std::ifstream in(std::string(HERALD_AUTH_FIXTURES) + "/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + name);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A fixture token without its trailing newline.
inline std::string fixture_token(const std::string& name) {
  std::string text = fixture(name + ".jwt");
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  return text;
}

inline std::string b64(std::string_view bytes) { return core::base64url_encode(bytes); }

// Signs an arbitrary signing input, so tests can build tokens the real signer never would.
inline std::string signature_over(Algorithm algorithm, std::string_view key, std::string_view input) {
  if (algorithm == Algorithm::HS256) return detail::hmac_sha256(key, input).value();
  const auto pkey = detail::private_key_from_pem(key);
  if (!pkey) throw std::runtime_error("bad test key");
  return detail::sign_pkey(algorithm, pkey.get(), input).value();
}

// header.payload.signature from raw JSON texts.
inline std::string raw_token(std::string_view header_json, std::string_view payload_json, Algorithm algorithm,
                             std::string_view key) {
  std::string input = b64(header_json) + "." + b64(payload_json);
  return input + "." + b64(signature_over(algorithm, key, input));
}

inline VerifierOptions hs256_options() {
  VerifierOptions o;
  o.algorithm = Algorithm::HS256;
  o.secret = fixture("hs256_secret.txt");
  return o;
}

inline VerifierOptions pem_options(Algorithm algorithm, const std::string& pem_file) {
  VerifierOptions o;
  o.algorithm = algorithm;
  o.public_key_pem = fixture(pem_file);
  return o;
}

inline VerifierOptions jwks_options(Algorithm algorithm) {
  VerifierOptions o;
  o.algorithm = algorithm;
  o.jwks_json = fixture("jwks.json");
  return o;
}

inline Verifier make_verifier(VerifierOptions options) {
  auto v = Verifier::create(std::move(options));
  if (!v) throw std::runtime_error(v.error().message);
  return std::move(*v);
}

} // namespace herald::auth::test
