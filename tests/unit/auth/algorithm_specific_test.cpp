// Attacks and formats that belong to one algorithm: key confusion, ECDSA encodings, RSA lengths.

#include "auth/sign.hpp"
#include "auth/verifier.hpp"
#include "auth_test_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

namespace herald::auth::test {
namespace {

namespace json = boost::json;

const json::object kClaims{{"sub", "u-1"}, {"exp", kNow + 3600}};

TokenError error_of(const Verifier& v, const std::string& token) {
  auto r = v.verify(token, at(kNow));
  EXPECT_FALSE(r.has_value());
  return r ? TokenError::key_error : r.error();
}

// The classic confusion: an attacker HMACs with the public key text, hoping the server feeds
// its RSA / EC public key to HMAC because the token says HS256.
TEST(KeyConfusion, Hs256TokenMacedWithPublicPemIsRefusedByRs256) {
  const std::string pem = fixture("rsa1_public.pem");
  const Verifier v = make_verifier(pem_options(Algorithm::RS256, "rsa1_public.pem"));
  EXPECT_EQ(error_of(v, sign(kClaims, Algorithm::HS256, pem).value()), TokenError::alg_not_allowed);
  // Same with the key's JWK text, and with a JWKS-configured verifier.
  const Verifier jwks = make_verifier(jwks_options(Algorithm::RS256));
  EXPECT_EQ(error_of(jwks, sign(kClaims, Algorithm::HS256, pem, "rsa-1").value()),
            TokenError::alg_not_allowed);
  EXPECT_EQ(error_of(jwks, sign(kClaims, Algorithm::HS256, fixture("jwks.json"), "rsa-1").value()),
            TokenError::alg_not_allowed);
}

TEST(KeyConfusion, Hs256TokenMacedWithPublicPemIsRefusedByEs256) {
  const Verifier v = make_verifier(pem_options(Algorithm::ES256, "ec1_public.pem"));
  EXPECT_EQ(error_of(v, sign(kClaims, Algorithm::HS256, fixture("ec1_public.pem")).value()),
            TokenError::alg_not_allowed);
}

TEST(KeyConfusion, Hs256VerifierRefusesAsymmetricTokens) {
  const Verifier v = make_verifier(hs256_options());
  EXPECT_EQ(error_of(v, sign(kClaims, Algorithm::RS256, fixture("rsa1_private.pem")).value()),
            TokenError::alg_not_allowed);
}

std::string split_signature(const std::string& token, std::string* input) {
  const auto dot = token.rfind('.');
  *input = token.substr(0, dot);
  return *detail::decode_base64url(token.substr(dot + 1));
}

TEST(Es256, SignatureIsRawRAndSOf64Bytes) {
  const Verifier v = make_verifier(pem_options(Algorithm::ES256, "ec1_public.pem"));
  const std::string token = sign(kClaims, Algorithm::ES256, fixture("ec1_private.pem")).value();
  std::string input;
  const std::string raw = split_signature(token, &input);
  ASSERT_EQ(raw.size(), 64u);
  ASSERT_TRUE(v.verify(token, at(kNow)).has_value());
  // The same signature in DER (OpenSSL's own form) is not a JWS signature.
  const std::string der = *detail::ecdsa_raw_to_der(raw);
  EXPECT_EQ(error_of(v, input + "." + b64(der)), TokenError::bad_signature);
  // Other widths, e.g. a P-384-sized signature or a padded one.
  EXPECT_EQ(error_of(v, input + "." + b64(raw + std::string(32, '\0'))), TokenError::bad_signature);
  EXPECT_EQ(error_of(v, input + "." + b64(std::string(1, '\0') + raw)), TokenError::bad_signature);
  // r = s = 0 is never valid.
  EXPECT_EQ(error_of(v, input + "." + b64(std::string(64, '\0'))), TokenError::bad_signature);
}

TEST(Es256, EcdsaEncodingsRoundTrip) {
  const std::string raw = std::string(31, '\0') + "\x01" + std::string(1, '\x80') + std::string(31, '\x7f');
  const auto der = detail::ecdsa_raw_to_der(raw);
  ASSERT_TRUE(der.has_value());
  EXPECT_EQ(detail::ecdsa_der_to_raw(*der, 32), raw);
  EXPECT_FALSE(detail::ecdsa_raw_to_der("").has_value());
  EXPECT_FALSE(detail::ecdsa_raw_to_der("abc").has_value());
  EXPECT_FALSE(detail::ecdsa_der_to_raw("\x30\x00garbage", 32).has_value());
  EXPECT_FALSE(detail::ecdsa_der_to_raw(*der + "x", 32).has_value()); // trailing bytes
}

TEST(Rs256, SignatureMustHaveTheModulusLength) {
  const Verifier v = make_verifier(pem_options(Algorithm::RS256, "rsa1_public.pem"));
  const std::string token = sign(kClaims, Algorithm::RS256, fixture("rsa1_private.pem")).value();
  std::string input;
  const std::string sig = split_signature(token, &input);
  ASSERT_EQ(sig.size(), 256u);
  EXPECT_EQ(error_of(v, input + "." + b64(std::string(1, '\0') + sig)), TokenError::bad_signature);
  EXPECT_EQ(error_of(v, input + "." + b64(sig.substr(1))), TokenError::bad_signature);
}

TEST(Rs256, PkcsOneRsaPublicKeyPemWorks) {
  const Verifier v = make_verifier(pem_options(Algorithm::RS256, "rsa1_public_pkcs1.pem"));
  EXPECT_TRUE(
      v.verify(sign(kClaims, Algorithm::RS256, fixture("rsa1_private.pem")).value(), at(kNow)).has_value());
  EXPECT_EQ(error_of(v, sign(kClaims, Algorithm::RS256, fixture("rsa2_private.pem")).value()),
            TokenError::bad_signature);
}

TEST(Pem, KidInTokenIsIgnoredWithASinglePemKey) {
  const Verifier v = make_verifier(pem_options(Algorithm::ES256, "ec1_public.pem"));
  EXPECT_TRUE(
      v.verify(sign(kClaims, Algorithm::ES256, fixture("ec1_private.pem"), "whatever").value(), at(kNow))
          .has_value());
}

struct JwksCase {
  const char* name;
  Algorithm algorithm;
  const char* key1;
  const char* kid1;
  const char* key2;
  const char* kid2;
};

class JwksSelection : public ::testing::TestWithParam<JwksCase> {};

TEST_P(JwksSelection, KidChoosesTheKey) {
  const auto& p = GetParam();
  const Verifier v = make_verifier(jwks_options(p.algorithm));
  const std::string k1 = fixture(p.key1), k2 = fixture(p.key2);
  EXPECT_TRUE(v.verify(sign(kClaims, p.algorithm, k1, p.kid1).value(), at(kNow)).has_value());
  EXPECT_TRUE(v.verify(sign(kClaims, p.algorithm, k2, p.kid2).value(), at(kNow)).has_value());
  // A kid naming the other key: the signature does not match it.
  EXPECT_EQ(error_of(v, sign(kClaims, p.algorithm, k1, p.kid2).value()), TokenError::bad_signature);
  EXPECT_EQ(error_of(v, sign(kClaims, p.algorithm, k2, p.kid1).value()), TokenError::bad_signature);
  EXPECT_EQ(error_of(v, sign(kClaims, p.algorithm, k1, "nope").value()), TokenError::unknown_kid);
  // A kid of a key for the other algorithm is unknown to this verifier.
  const char* foreign = p.algorithm == Algorithm::RS256 ? "ec-1" : "rsa-1";
  EXPECT_EQ(error_of(v, sign(kClaims, p.algorithm, k1, foreign).value()), TokenError::unknown_kid);
  // Two keys and no kid: no guessing.
  EXPECT_EQ(error_of(v, sign(kClaims, p.algorithm, k1).value()), TokenError::unknown_kid);
}

TEST_P(JwksSelection, SingleKeyJwksAcceptsTokensWithoutKid) {
  const auto& p = GetParam();
  auto doc = boost::json::parse(fixture("jwks.json")).as_object();
  boost::json::array only;
  for (const auto& k : doc["keys"].as_array()) {
    if (k.as_object().at("kid").as_string() == p.kid1) only.push_back(k);
  }
  VerifierOptions o;
  o.algorithm = p.algorithm;
  o.jwks_json = boost::json::serialize(boost::json::object{{"keys", only}});
  const Verifier v = make_verifier(o);
  EXPECT_TRUE(v.verify(sign(kClaims, p.algorithm, fixture(p.key1)).value(), at(kNow)).has_value());
  EXPECT_EQ(error_of(v, sign(kClaims, p.algorithm, fixture(p.key1), "other").value()),
            TokenError::unknown_kid);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, JwksSelection,
                         ::testing::Values(JwksCase{"RS256", Algorithm::RS256, "rsa1_private.pem", "rsa-1",
                                                    "rsa2_private.pem", "rsa-2"},
                                           JwksCase{"ES256", Algorithm::ES256, "ec1_private.pem", "ec-1",
                                                    "ec2_private.pem", "ec-2"}),
                         [](const ::testing::TestParamInfo<JwksCase>& info) {
                           return std::string(info.param.name);
                         });

} // namespace
} // namespace herald::auth::test
