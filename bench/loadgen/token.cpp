#include "token.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdexcept>

namespace herald::bench {

std::string base64(std::string_view bytes, bool url) {
  static constexpr char std_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  static constexpr char url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const char* a = url ? url_alphabet : std_alphabet;
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v =
        uint32_t(uint8_t(bytes[i])) << 16 | uint32_t(uint8_t(bytes[i + 1])) << 8 | uint8_t(bytes[i + 2]);
    out += a[v >> 18];
    out += a[(v >> 12) & 63];
    out += a[(v >> 6) & 63];
    out += a[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    if (rest == 2) v |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += a[v >> 18];
    out += a[(v >> 12) & 63];
    if (rest == 2) out += a[(v >> 6) & 63];
    if (!url) out.append(rest == 1 ? "==" : "=");
  }
  return out;
}

std::string mint_hs256(std::string_view secret, std::string_view sub,
                       const std::vector<std::string>& departments, const std::vector<std::string>& roles,
                       int64_t ttl_seconds) {
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  boost::json::object claims;
  claims["sub"] = sub;
  claims["departments"] = boost::json::array(departments.begin(), departments.end());
  if (!roles.empty()) claims["roles"] = boost::json::array(roles.begin(), roles.end());
  claims["iat"] = now;
  claims["exp"] = now + ttl_seconds; // Herald requires exp by default (SPEC 2)
  const std::string signing_input =
      base64(R"({"alg":"HS256","typ":"JWT"})", true) + "." + base64(boost::json::serialize(claims), true);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha256(), secret.data(), int(secret.size()),
            reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac,
            &mac_len))
    throw std::runtime_error("HMAC-SHA256 failed");
  return signing_input + "." + base64(std::string_view(reinterpret_cast<const char*>(mac), mac_len), true);
}

} // namespace herald::bench
