#pragma once
// Internal: the few OpenSSL 3 operations JWS needs, behind RAII. Every function is safe to
// call concurrently with a shared EVP_PKEY: contexts are created per call.

#include "auth/algorithm.hpp"

#include <openssl/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace herald::auth::detail {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const noexcept;
};
// Keys are immutable once built; shared_ptr lets copies of a Verifier share them.
using SharedPkey = std::shared_ptr<EVP_PKEY>;

// Takes ownership of `key` (may be null).
SharedPkey share(EVP_PKEY* key);

enum class Check { valid, invalid, failure };

// HMAC-SHA256 of `data`; nullopt when OpenSSL fails.
std::optional<std::string> hmac_sha256(std::string_view key, std::string_view data);
// Constant-time check of a JWS HS256 signature.
Check verify_hmac(std::string_view key, std::string_view data, std::string_view signature);
// Checks a JWS RS256 or ES256 signature (ES256 in raw r||s form); `failure` means OpenSSL
// could not run the check at all, which is the server's problem, not the token's.
Check verify_pkey(Algorithm algorithm, EVP_PKEY* key, std::string_view data, std::string_view signature);
// Signs `data` with a private key; returns the JWS form (raw r||s for ES256), or nullopt.
std::optional<std::string> sign_pkey(Algorithm algorithm, EVP_PKEY* key, std::string_view data);

// Why `key` cannot serve `algorithm` (wrong type, curve, size or invalid point); nullopt if it can.
std::optional<std::string> unusable_reason(Algorithm algorithm, EVP_PKEY* key);
// A public key from PEM ("PUBLIC KEY" or "RSA PUBLIC KEY"); null on failure.
SharedPkey public_key_from_pem(std::string_view pem);
// A private key from unencrypted PEM (PKCS#8, PKCS#1 or SEC1); null on failure.
SharedPkey private_key_from_pem(std::string_view pem);
// An RSA public key from big-endian modulus and exponent; null on failure.
SharedPkey rsa_public_key(std::string_view n, std::string_view e);
// A P-256 public key from 32-byte big-endian coordinates; null on failure or off-curve point.
SharedPkey p256_public_key(std::string_view x, std::string_view y);

// ECDSA signature conversions: JWS uses fixed-width r||s, OpenSSL uses DER.
std::optional<std::string> ecdsa_raw_to_der(std::string_view raw);
std::optional<std::string> ecdsa_der_to_raw(std::string_view der, std::size_t scalar_bytes);

// Strict base64url: unpadded and canonical (no stray bits in the last character).
std::optional<std::string> decode_base64url(std::string_view text);

} // namespace herald::auth::detail
