// Tokens made by third-party libraries (npm jsonwebtoken 9, PyJWT): see fixtures/make_fixtures*.

#include "auth/principal.hpp"
#include "auth/sign.hpp"
#include "auth/verifier.hpp"
#include "auth_test_support.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

namespace herald::auth::test {
namespace {

boost::system::result<boost::json::object, TokenError>
check(const VerifierOptions& o, const std::string& name, std::int64_t now = kNow) {
  return make_verifier(o).verify(fixture_token(name), at(now));
}

TEST(GoldenTokens, JsonwebtokenHs256) {
  const auto r = check(hs256_options(), "hs256_valid");
  ASSERT_TRUE(r.has_value()) << describe(r.error());
  EXPECT_EQ(r->at("sub").as_string(), "u-123");
  EXPECT_EQ(check(hs256_options(), "hs256_expired").error(), TokenError::expired);
  // Valid until 2100 + leeway.
  EXPECT_TRUE(check(hs256_options(), "hs256_valid", kFuture + 29).has_value());
  EXPECT_EQ(check(hs256_options(), "hs256_valid", kFuture + 30).error(), TokenError::expired);
  auto wrong = hs256_options();
  wrong.secret += "x";
  EXPECT_EQ(check(wrong, "hs256_valid").error(), TokenError::bad_signature);
}

TEST(GoldenTokens, JsonwebtokenIssuerAndAudienceArray) {
  auto o = hs256_options();
  o.issuer = "https://issuer.example";
  o.audience = "herald";
  EXPECT_TRUE(check(o, "hs256_iss_aud").has_value());
  o.audience = "other-service";
  EXPECT_TRUE(check(o, "hs256_iss_aud").has_value());
  o.audience = "billing";
  EXPECT_EQ(check(o, "hs256_iss_aud").error(), TokenError::wrong_audience);
  o.audience.reset();
  o.issuer = "https://issuer.example/";
  EXPECT_EQ(check(o, "hs256_iss_aud").error(), TokenError::wrong_issuer);
  // The plain token has neither claim.
  o.issuer.reset();
  o.audience = "herald";
  EXPECT_EQ(check(o, "hs256_valid").error(), TokenError::wrong_audience);
}

TEST(GoldenTokens, JsonwebtokenRs256WithPemAndJwks) {
  const auto spki = pem_options(Algorithm::RS256, "rsa1_public.pem");
  const auto pkcs1 = pem_options(Algorithm::RS256, "rsa1_public_pkcs1.pem");
  const auto jwks = jwks_options(Algorithm::RS256);
  for (const auto* o : {&spki, &pkcs1, &jwks}) {
    EXPECT_TRUE(check(*o, "rs256_kid1_valid").has_value());
    EXPECT_EQ(check(*o, "rs256_expired").error(), TokenError::expired);
  }
  EXPECT_TRUE(check(spki, "rs256_nokid_valid").has_value());
  EXPECT_TRUE(check(jwks, "rs256_kid2_valid").has_value());
  EXPECT_EQ(check(spki, "rs256_kid2_valid").error(), TokenError::bad_signature);
  EXPECT_EQ(check(jwks, "rs256_nokid_valid").error(), TokenError::unknown_kid); // two RSA keys
}

TEST(GoldenTokens, JsonwebtokenEs256WithPemAndJwks) {
  const auto pem = pem_options(Algorithm::ES256, "ec1_public.pem");
  const auto jwks = jwks_options(Algorithm::ES256);
  EXPECT_TRUE(check(pem, "es256_valid").has_value());
  EXPECT_TRUE(check(jwks, "es256_valid").has_value());
  EXPECT_TRUE(check(jwks, "es256_kid2_valid").has_value());
  EXPECT_EQ(check(pem, "es256_kid2_valid").error(), TokenError::bad_signature);
  EXPECT_EQ(check(pem, "es256_expired").error(), TokenError::expired);
  EXPECT_EQ(check(jwks, "es256_expired").error(), TokenError::expired);
}

TEST(GoldenTokens, CrossAlgorithmGoldenTokensAreRefused) {
  EXPECT_EQ(check(hs256_options(), "rs256_kid1_valid").error(), TokenError::alg_not_allowed);
  EXPECT_EQ(check(jwks_options(Algorithm::RS256), "es256_valid").error(), TokenError::alg_not_allowed);
  EXPECT_EQ(check(jwks_options(Algorithm::ES256), "hs256_valid").error(), TokenError::alg_not_allowed);
}

TEST(GoldenTokens, PyJwtTokens) {
  EXPECT_TRUE(check(hs256_options(), "pyjwt_hs256_valid").has_value());
  EXPECT_TRUE(check(jwks_options(Algorithm::RS256), "pyjwt_rs256_valid").has_value());
  EXPECT_TRUE(check(pem_options(Algorithm::RS256, "rsa1_public.pem"), "pyjwt_rs256_valid").has_value());
  EXPECT_TRUE(check(jwks_options(Algorithm::ES256), "pyjwt_es256_valid").has_value());
  EXPECT_TRUE(check(pem_options(Algorithm::ES256, "ec1_public.pem"), "pyjwt_es256_valid").has_value());
}

TEST(GoldenTokens, ClaimsMapToPrincipals) {
  const auto npm = check(hs256_options(), "hs256_valid");
  ASSERT_TRUE(npm.has_value());
  const auto alice = principal_from_claims(*npm);
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->user_id, "u-123");
  EXPECT_EQ(alice->departments, (std::vector<std::string>{"eng", "ops"}));
  EXPECT_EQ(alice->username, "alice");
  EXPECT_EQ(alice->display_name, "Alice Example");
  EXPECT_EQ(alice->roles, (std::vector<std::string>{"user"}));
  EXPECT_EQ(alice->expires_at, at(kFuture));
  EXPECT_FALSE(is_producer(*alice));

  const auto py = check(jwks_options(Algorithm::ES256), "pyjwt_es256_valid");
  ASSERT_TRUE(py.has_value());
  const auto bob = principal_from_claims(*py);
  ASSERT_TRUE(bob.has_value());
  EXPECT_EQ(bob->user_id, "42");
  EXPECT_EQ(bob->departments, (std::vector<std::string>{"eng", "7"}));
  EXPECT_EQ(bob->display_name, "bob");
  EXPECT_TRUE(is_producer(*bob));
}

// HS256 and RS256 (PKCS#1 v1.5) are deterministic: our signer must reproduce the third-party
// bytes exactly from the same header fields and claims.
TEST(GoldenTokens, OurSignerReproducesJsonwebtokenBytes) {
  const auto payload_of = [](const std::string& token) {
    const auto a = token.find('.') + 1;
    return boost::json::parse(*detail::decode_base64url(token.substr(a, token.rfind('.') - a))).as_object();
  };
  const std::string hs = fixture_token("hs256_valid");
  EXPECT_EQ(sign(payload_of(hs), Algorithm::HS256, fixture("hs256_secret.txt")).value(), hs);
  const std::string rs = fixture_token("rs256_kid1_valid");
  EXPECT_EQ(sign(payload_of(rs), Algorithm::RS256, fixture("rsa1_private.pem"), "rsa-1").value(), rs);
}

} // namespace
} // namespace herald::auth::test
