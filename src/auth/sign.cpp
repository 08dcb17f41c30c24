#include "auth/sign.hpp"

#include "auth/detail/crypto.hpp"
#include "core/ids.hpp"

#include <boost/json/serialize.hpp>

namespace herald::auth {

boost::system::result<std::string, ConfigError> sign(const boost::json::object& claims, Algorithm algorithm,
                                                     std::string_view key,
                                                     std::optional<std::string_view> kid) {
  boost::json::object header;
  header["alg"] = to_string(algorithm);
  header["typ"] = "JWT";
  if (kid) header["kid"] = *kid;
  std::string token = core::base64url_encode(boost::json::serialize(header));
  token += '.';
  token += core::base64url_encode(boost::json::serialize(claims));

  std::optional<std::string> signature;
  if (algorithm == Algorithm::HS256) {
    if (key.empty()) return ConfigError{"HS256 needs a non-empty secret"};
    signature = detail::hmac_sha256(key, token);
  } else {
    const auto pkey = detail::private_key_from_pem(key);
    if (!pkey) return ConfigError{"signing key: not an unencrypted private key PEM"};
    if (auto reason = detail::unusable_reason(algorithm, pkey.get()))
      return ConfigError{"signing key: " + *reason};
    signature = detail::sign_pkey(algorithm, pkey.get(), token);
  }
  if (!signature) return ConfigError{"signing failed in OpenSSL"};
  token += '.';
  token += core::base64url_encode(*signature);
  // in_place: ConfigError is constructible from a string too.
  return {boost::system::in_place_value, std::move(token)};
}

} // namespace herald::auth
