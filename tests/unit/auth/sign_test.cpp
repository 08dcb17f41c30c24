// The signer used by `herald token`: round trips, headers, and refused keys.

#include "auth/sign.hpp"
#include "auth/verifier.hpp"
#include "auth_test_support.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

namespace herald::auth::test {
namespace {

namespace json = boost::json;

json::object header_of(const std::string& token) {
  return json::parse(*detail::decode_base64url(token.substr(0, token.find('.')))).as_object();
}

TEST(Sign, RoundTripsThroughTheVerifierForEveryAlgorithm) {
  const json::object claims{{"sub", "u-9"}, {"exp", kNow + 60}, {"departments", json::array{"a", "b"}}};
  const struct {
    Algorithm algorithm;
    std::string key;
    VerifierOptions options;
  } cases[] = {
      {Algorithm::HS256, fixture("hs256_secret.txt"), hs256_options()},
      {Algorithm::RS256, fixture("rsa2_private.pem"), pem_options(Algorithm::RS256, "rsa2_public.pem")},
      {Algorithm::ES256, fixture("ec2_private.pem"), pem_options(Algorithm::ES256, "ec2_public.pem")},
  };
  for (const auto& c : cases) {
    const auto token = sign(claims, c.algorithm, c.key);
    ASSERT_TRUE(token.has_value()) << token.error().message;
    const auto verified = make_verifier(c.options).verify(*token, at(kNow));
    ASSERT_TRUE(verified.has_value()) << to_string(c.algorithm) << ": " << describe(verified.error());
    EXPECT_EQ(*verified, claims);
  }
}

TEST(Sign, HeaderCarriesAlgTypAndOptionalKid) {
  const json::object claims{{"sub", "u"}};
  const auto plain = header_of(sign(claims, Algorithm::HS256, "s").value());
  EXPECT_EQ(plain, (json::object{{"alg", "HS256"}, {"typ", "JWT"}}));
  const auto with_kid = header_of(sign(claims, Algorithm::ES256, fixture("ec1_private.pem"), "ec-1").value());
  EXPECT_EQ(with_kid, (json::object{{"alg", "ES256"}, {"typ", "JWT"}, {"kid", "ec-1"}}));
}

TEST(Sign, UnusableKeysAreErrors) {
  const json::object claims{{"sub", "u"}};
  EXPECT_FALSE(sign(claims, Algorithm::HS256, "").has_value());
  EXPECT_FALSE(sign(claims, Algorithm::RS256, "not a pem").has_value());
  EXPECT_FALSE(sign(claims, Algorithm::RS256, fixture("rsa1_public.pem")).has_value()); // public, not private
  EXPECT_FALSE(sign(claims, Algorithm::RS256, fixture("ec1_private.pem")).has_value());
  EXPECT_FALSE(sign(claims, Algorithm::ES256, fixture("rsa1_private.pem")).has_value());
  EXPECT_THROW(sign(claims, Algorithm::HS256, "").value(), std::runtime_error);
}

} // namespace
} // namespace herald::auth::test
