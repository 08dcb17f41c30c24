#pragma once
// The public keys an RS256 / ES256 verifier accepts, parsed once at start-up from a PEM key
// or a JWKS document. Immutable afterwards, so any number of threads may read it.

#include "auth/algorithm.hpp"
#include "auth/config_error.hpp"

#include <boost/system/result.hpp>

#include <openssl/types.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::auth {

class KeySet {
public:
  // One key from PEM ("PUBLIC KEY", or "RSA PUBLIC KEY"); fails unless it suits `algorithm`.
  static boost::system::result<KeySet, ConfigError> from_pem(std::string_view pem, Algorithm algorithm);
  // The JWKS keys usable with `algorithm` (matching kty, and `alg` / `use` when present); keys
  // of other types are skipped. Fails on bad JSON, a broken usable key, duplicate kids, or none.
  static boost::system::result<KeySet, ConfigError> from_jwks(std::string_view json, Algorithm algorithm);

  // The key for a token's `kid`. A token without kid, or a set of one key without kid (PEM),
  // falls back to the only key. Null when no key applies: the token is refused as unknown_kid.
  EVP_PKEY* find(std::optional<std::string_view> kid) const;
  std::size_t size() const { return keys_.size(); }
  Algorithm algorithm() const { return algorithm_; }

private:
  struct Entry {
    std::optional<std::string> kid;
    std::shared_ptr<EVP_PKEY> key;
  };
  KeySet(Algorithm algorithm, std::vector<Entry> keys) : algorithm_(algorithm), keys_(std::move(keys)) {}

  Algorithm algorithm_;
  std::vector<Entry> keys_;
};

// Reads a key file (PEM, JWKS, or secret) named in configuration; the message names the path.
boost::system::result<std::string, ConfigError> read_key_file(const std::string& path);

} // namespace herald::auth
