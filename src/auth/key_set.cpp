#include "auth/key_set.hpp"

#include "auth/detail/crypto.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <fstream>

namespace herald::auth {
namespace {

namespace json = boost::json;

// A JWKS or PEM file is a few KB; anything near this is the wrong file.
constexpr std::size_t kMaxKeyFileBytes = 1 << 20;

ConfigError error(std::string message) { return ConfigError{std::move(message)}; }

// A required base64url member of a JWK, decoded.
std::optional<std::string> member_bytes(const json::object& jwk, std::string_view name) {
  const auto* v = jwk.if_contains(name);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return detail::decode_base64url(v->get_string());
}

std::string label(const std::optional<std::string>& kid, std::size_t index) {
  return kid ? "JWKS key '" + *kid + "'" : "JWKS key #" + std::to_string(index);
}

// Whether the JWK is meant for `algorithm`; other keys in a shared JWKS are not errors.
bool suits(const json::object& jwk, Algorithm algorithm) {
  const auto* kty = jwk.if_contains("kty");
  if (kty == nullptr || !kty->is_string()) return false;
  const std::string_view wanted = algorithm == Algorithm::RS256 ? "RSA" : "EC";
  if (kty->get_string() != wanted) return false;
  if (const auto* use = jwk.if_contains("use");
      use != nullptr && !(use->is_string() && use->get_string() == "sig"))
    return false;
  if (const auto* alg = jwk.if_contains("alg");
      alg != nullptr && !(alg->is_string() && alg->get_string() == to_string(algorithm)))
    return false;
  if (algorithm == Algorithm::ES256) {
    const auto* crv = jwk.if_contains("crv");
    if (crv == nullptr || !crv->is_string() || crv->get_string() != "P-256") return false;
  }
  return true;
}

boost::system::result<std::shared_ptr<EVP_PKEY>, ConfigError>
jwk_key(const json::object& jwk, Algorithm algorithm, const std::string& name) {
  detail::SharedPkey key;
  if (algorithm == Algorithm::RS256) {
    const auto n = member_bytes(jwk, "n");
    const auto e = member_bytes(jwk, "e");
    if (!n || !e) return error(name + ": n and e must be base64url strings");
    key = detail::rsa_public_key(*n, *e);
  } else {
    const auto x = member_bytes(jwk, "x");
    const auto y = member_bytes(jwk, "y");
    if (!x || !y) return error(name + ": x and y must be base64url strings");
    key = detail::p256_public_key(*x, *y);
  }
  if (!key) return error(name + ": not a valid public key");
  if (auto reason = detail::unusable_reason(algorithm, key.get())) return error(name + ": " + *reason);
  return key;
}

} // namespace

boost::system::result<KeySet, ConfigError> KeySet::from_pem(std::string_view pem, Algorithm algorithm) {
  if (algorithm == Algorithm::HS256) return error("HS256 uses auth.jwt_secret, not a public key");
  auto key = detail::public_key_from_pem(pem);
  if (!key) return error("public key: not a PEM \"PUBLIC KEY\" or \"RSA PUBLIC KEY\"");
  if (auto reason = detail::unusable_reason(algorithm, key.get())) return error("public key: " + *reason);
  std::vector<Entry> keys;
  keys.push_back(Entry{std::nullopt, std::move(key)});
  return KeySet(algorithm, std::move(keys));
}

boost::system::result<KeySet, ConfigError> KeySet::from_jwks(std::string_view text, Algorithm algorithm) {
  if (algorithm == Algorithm::HS256) return error("HS256 uses auth.jwt_secret, not a JWKS");
  boost::system::error_code ec;
  const json::value doc = json::parse(text, ec);
  if (ec || !doc.is_object()) return error("JWKS: not a JSON object");
  // A bare JWK is accepted as a set of one.
  std::vector<const json::object*> candidates;
  if (const auto* list = doc.get_object().if_contains("keys")) {
    if (!list->is_array()) return error("JWKS: \"keys\" must be an array");
    for (const auto& item : list->get_array()) {
      if (!item.is_object()) return error("JWKS: every key must be an object");
      candidates.push_back(&item.get_object());
    }
  } else {
    candidates.push_back(&doc.get_object());
  }

  std::vector<Entry> keys;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const json::object& jwk = *candidates[i];
    if (!suits(jwk, algorithm)) continue;
    std::optional<std::string> kid;
    if (const auto* k = jwk.if_contains("kid")) {
      if (!k->is_string()) return error(label(std::nullopt, i) + ": kid must be a string");
      kid = std::string(k->get_string());
    }
    const std::string name = label(kid, i);
    for (const auto& seen : keys) {
      if (seen.kid == kid) return error(name + ": kid appears twice");
    }
    auto key = jwk_key(jwk, algorithm, name);
    if (!key) return key.error();
    keys.push_back(Entry{std::move(kid), std::move(*key)});
  }
  if (keys.empty()) return error("JWKS: no key usable with " + std::string(to_string(algorithm)));
  return KeySet(algorithm, std::move(keys));
}

EVP_PKEY* KeySet::find(std::optional<std::string_view> kid) const {
  if (kid) {
    for (const auto& entry : keys_) {
      if (entry.kid && *entry.kid == *kid) return entry.key.get();
    }
    // A PEM key carries no kid, so any kid the issuer stamps on its tokens names it.
    if (keys_.size() == 1 && !keys_.front().kid) return keys_.front().key.get();
    return nullptr;
  }
  return keys_.size() == 1 ? keys_.front().key.get() : nullptr;
}

boost::system::result<std::string, ConfigError> read_key_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return error("cannot open key file " + path);
  std::string text;
  char buffer[4096];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxKeyFileBytes) return error("key file " + path + " is larger than 1 MiB");
  }
  if (in.bad()) return error("cannot read key file " + path);
  // in_place: ConfigError is constructible from a string too.
  return {boost::system::in_place_value, std::move(text)};
}

} // namespace herald::auth
