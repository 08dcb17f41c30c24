// Loading keys: PEM and JWKS parsing, filtering, and start-up errors.

#include "auth/key_set.hpp"
#include "auth/verifier.hpp"
#include "auth_test_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <gtest/gtest.h>

namespace herald::auth::test {
namespace {

namespace json = boost::json;

json::object fixture_jwk(std::string_view kid) {
  const json::value doc = json::parse(fixture("jwks.json"));
  for (const auto& k : doc.at("keys").as_array()) {
    if (k.at("kid").as_string() == kid) return k.as_object();
  }
  throw std::runtime_error("no such kid");
}

std::string jwks_of(std::initializer_list<json::object> keys) {
  json::array list;
  for (const auto& k : keys)
    list.push_back(k);
  return json::serialize(json::object{{"keys", list}});
}

std::string error_message(const boost::system::result<KeySet, ConfigError>& r) {
  EXPECT_FALSE(r.has_value());
  return r ? std::string() : r.error().message;
}

std::string public_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return pem;
}

TEST(KeySet, FixtureJwksSplitsByAlgorithm) {
  const auto rsa = KeySet::from_jwks(fixture("jwks.json"), Algorithm::RS256);
  ASSERT_TRUE(rsa.has_value()) << rsa.error().message;
  EXPECT_EQ(rsa->size(), 2u);
  EXPECT_NE(rsa->find("rsa-1"), nullptr);
  EXPECT_NE(rsa->find("rsa-2"), nullptr);
  EXPECT_NE(rsa->find("rsa-1"), rsa->find("rsa-2"));
  EXPECT_EQ(rsa->find("ec-1"), nullptr);
  EXPECT_EQ(rsa->find(std::nullopt), nullptr);
  const auto ec = KeySet::from_jwks(fixture("jwks.json"), Algorithm::ES256);
  ASSERT_TRUE(ec.has_value()) << ec.error().message;
  EXPECT_EQ(ec->size(), 2u);
  EXPECT_EQ(ec->algorithm(), Algorithm::ES256);
}

TEST(KeySet, BareJwkIsASetOfOne) {
  const auto r = KeySet::from_jwks(json::serialize(fixture_jwk("ec-1")), Algorithm::ES256);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->size(), 1u);
  EXPECT_NE(r->find(std::nullopt), nullptr);
}

TEST(KeySet, KeysForOtherUsesOrAlgorithmsAreSkipped) {
  auto enc = fixture_jwk("rsa-2");
  enc["use"] = "enc";
  auto ps = fixture_jwk("rsa-2");
  ps["alg"] = "PS256";
  ps["kid"] = "ps";
  const auto r = KeySet::from_jwks(jwks_of({fixture_jwk("rsa-1"), enc, ps}), Algorithm::RS256);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->size(), 1u);
  // Keys without alg / use are fine.
  auto bare = fixture_jwk("rsa-1");
  bare.erase("alg");
  bare.erase("use");
  EXPECT_TRUE(KeySet::from_jwks(jwks_of({bare}), Algorithm::RS256).has_value());
  // Unsupported key types (oct, OKP) are skipped, not errors.
  const json::object oct{{"kty", "oct"}, {"k", "c2VjcmV0"}, {"kid", "o"}};
  EXPECT_TRUE(KeySet::from_jwks(jwks_of({oct, fixture_jwk("ec-1")}), Algorithm::ES256).has_value());
}

TEST(KeySet, JwksErrorsAreExplained) {
  EXPECT_NE(error_message(KeySet::from_jwks("not json", Algorithm::RS256)).find("JWKS"), std::string::npos);
  EXPECT_FALSE(KeySet::from_jwks("[]", Algorithm::RS256).has_value());
  EXPECT_FALSE(KeySet::from_jwks(R"({"keys":{}})", Algorithm::RS256).has_value());
  EXPECT_FALSE(KeySet::from_jwks(R"({"keys":[1]})", Algorithm::RS256).has_value());
  EXPECT_NE(error_message(KeySet::from_jwks(R"({"keys":[]})", Algorithm::RS256)).find("no key usable"),
            std::string::npos);
  // Only EC keys, but RS256 configured.
  EXPECT_FALSE(KeySet::from_jwks(jwks_of({fixture_jwk("ec-1")}), Algorithm::RS256).has_value());
  auto no_n = fixture_jwk("rsa-1");
  no_n.erase("n");
  EXPECT_NE(error_message(KeySet::from_jwks(jwks_of({no_n}), Algorithm::RS256)).find("'rsa-1'"),
            std::string::npos);
  auto padded = fixture_jwk("rsa-1");
  padded["e"] = "AQAB==";
  EXPECT_FALSE(KeySet::from_jwks(jwks_of({padded}), Algorithm::RS256).has_value());
  auto short_x = fixture_jwk("ec-1");
  short_x["x"] = b64(std::string(31, '\x01'));
  EXPECT_FALSE(KeySet::from_jwks(jwks_of({short_x}), Algorithm::ES256).has_value());
  // A point that is not on P-256 (invalid-curve attacks start here).
  auto off_curve = fixture_jwk("ec-1");
  off_curve["y"] = b64(std::string(32, '\x01'));
  EXPECT_FALSE(KeySet::from_jwks(jwks_of({off_curve}), Algorithm::ES256).has_value());
  auto twice = fixture_jwk("rsa-2");
  twice["kid"] = "rsa-1";
  EXPECT_NE(error_message(KeySet::from_jwks(jwks_of({fixture_jwk("rsa-1"), twice}), Algorithm::RS256))
                .find("twice"),
            std::string::npos);
  auto numeric_kid = fixture_jwk("rsa-1");
  numeric_kid["kid"] = 1;
  EXPECT_FALSE(KeySet::from_jwks(jwks_of({numeric_kid}), Algorithm::RS256).has_value());
  EXPECT_FALSE(KeySet::from_jwks(fixture("jwks.json"), Algorithm::HS256).has_value());
}

TEST(KeySet, ShortRsaKeysAreRefused) {
  EVP_PKEY* key = EVP_RSA_gen(1024);
  ASSERT_NE(key, nullptr);
  BIGNUM* n = nullptr;
  BIGNUM* e = nullptr;
  ASSERT_EQ(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n), 1);
  ASSERT_EQ(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e), 1);
  const auto bin = [](const BIGNUM* bn) {
    std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
    return out;
  };
  const json::object jwk{{"kty", "RSA"}, {"n", b64(bin(n))}, {"e", b64(bin(e))}};
  EXPECT_NE(error_message(KeySet::from_jwks(json::serialize(jwk), Algorithm::RS256)).find("2048"),
            std::string::npos);
  EXPECT_NE(error_message(KeySet::from_pem(public_pem(key), Algorithm::RS256)).find("2048"),
            std::string::npos);
  BN_free(n);
  BN_free(e);
  EVP_PKEY_free(key);
}

TEST(KeySet, PemKeysMustMatchTheAlgorithm) {
  EXPECT_TRUE(KeySet::from_pem(fixture("rsa1_public.pem"), Algorithm::RS256).has_value());
  EXPECT_TRUE(KeySet::from_pem(fixture("rsa1_public_pkcs1.pem"), Algorithm::RS256).has_value());
  EXPECT_TRUE(KeySet::from_pem(fixture("ec1_public.pem"), Algorithm::ES256).has_value());
  EXPECT_FALSE(KeySet::from_pem(fixture("ec1_public.pem"), Algorithm::RS256).has_value());
  EXPECT_FALSE(KeySet::from_pem(fixture("rsa1_public.pem"), Algorithm::ES256).has_value());
  EXPECT_FALSE(KeySet::from_pem(fixture("rsa1_public.pem"), Algorithm::HS256).has_value());
  // A private key in the public slot is a leaked secret, not a configuration to accept.
  EXPECT_FALSE(KeySet::from_pem(fixture("rsa1_private.pem"), Algorithm::RS256).has_value());
  EXPECT_FALSE(KeySet::from_pem("", Algorithm::RS256).has_value());
  EXPECT_FALSE(
      KeySet::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", Algorithm::RS256)
          .has_value());
  EVP_PKEY* p384 = EVP_EC_gen("P-384");
  ASSERT_NE(p384, nullptr);
  EXPECT_NE(error_message(KeySet::from_pem(public_pem(p384), Algorithm::ES256)).find("P-256"),
            std::string::npos);
  EVP_PKEY_free(p384);
}

TEST(KeySet, ReadKeyFile) {
  const auto ok = read_key_file(std::string(HERALD_AUTH_FIXTURES) + "/ec1_public.pem");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, fixture("ec1_public.pem"));
  const auto missing = read_key_file("/nonexistent/herald/key.pem");
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("/nonexistent/herald/key.pem"), std::string::npos);
}

TEST(VerifierCreate, ConfigurationErrors) {
  VerifierOptions o;
  o.algorithm = Algorithm::HS256;
  EXPECT_FALSE(Verifier::create(o).has_value()); // no secret
  o.algorithm = Algorithm::RS256;
  EXPECT_FALSE(Verifier::create(o).has_value()); // no key
  o.public_key_pem = fixture("rsa1_public.pem");
  o.jwks_json = fixture("jwks.json");
  EXPECT_NE(Verifier::create(o).error().message.find("not both"), std::string::npos);
  o.jwks_json.clear();
  EXPECT_TRUE(Verifier::create(o).has_value());
  o.leeway = std::chrono::seconds(-1);
  EXPECT_FALSE(Verifier::create(o).has_value());
  o = jwks_options(Algorithm::ES256);
  const auto v = Verifier::create(o);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->algorithm(), Algorithm::ES256);
  EXPECT_EQ(v->leeway(), std::chrono::seconds(30));
  // value() on a failed create throws, for start-up code that prefers exceptions.
  EXPECT_THROW(Verifier::create(VerifierOptions{}).value(), std::runtime_error);
}

} // namespace
} // namespace herald::auth::test
