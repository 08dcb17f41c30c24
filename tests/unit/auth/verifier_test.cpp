// Every verification defect, once per algorithm (HS256, RS256, ES256).

#include "auth/sign.hpp"
#include "auth/verifier.hpp"
#include "auth_test_support.hpp"

#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace herald::auth::test {
namespace {

namespace json = boost::json;

struct AlgCase {
  const char* name;
  Algorithm algorithm;
  const char* signing_key_file; // private PEM, or the secret file for HS256
  const char* wrong_key_file;   // a valid key of the same type that the verifier does not trust
  const char* public_key_file;  // empty for HS256
};

class VerifierDefects : public ::testing::TestWithParam<AlgCase> {
protected:
  std::string key() const { return fixture(GetParam().signing_key_file); }
  std::string wrong_key() const {
    return GetParam().algorithm == Algorithm::HS256 ? std::string("not-the-secret")
                                                    : fixture(GetParam().wrong_key_file);
  }
  VerifierOptions options() const {
    const auto& p = GetParam();
    return p.algorithm == Algorithm::HS256 ? hs256_options() : pem_options(p.algorithm, p.public_key_file);
  }
  Verifier verifier() const { return make_verifier(options()); }
  json::object claims(std::int64_t exp = kNow + 3600) const { return {{"sub", "u-1"}, {"exp", exp}}; }
  std::string token(const json::object& c) const { return sign(c, GetParam().algorithm, key()).value(); }
  std::string header_json() const {
    return R"({"alg":")" + std::string(to_string(GetParam().algorithm)) + R"(","typ":"JWT"})";
  }
  // A correctly signed token around an arbitrary payload text.
  std::string raw(std::string_view payload_json) const {
    return raw_token(header_json(), payload_json, GetParam().algorithm, key());
  }
  TokenError error_of(const std::string& t, std::int64_t now = kNow) const {
    auto r = verifier().verify(t, at(now));
    EXPECT_FALSE(r.has_value()) << "token unexpectedly accepted: " << t;
    return r ? TokenError::key_error : r.error();
  }
  TokenError error_with(VerifierOptions o, const std::string& t, std::int64_t now = kNow) const {
    auto r = make_verifier(std::move(o)).verify(t, at(now));
    EXPECT_FALSE(r.has_value());
    return r ? TokenError::key_error : r.error();
  }
  bool accepted(const std::string& t, std::int64_t now = kNow) const {
    return verifier().verify(t, at(now)).has_value();
  }
};

TEST_P(VerifierDefects, AcceptsValidTokenAndReturnsClaims) {
  auto c = claims();
  c["departments"] = json::array{"eng"};
  auto r = verifier().verify(token(c), at(kNow));
  ASSERT_TRUE(r.has_value()) << describe(r.error());
  EXPECT_EQ(r->at("sub").as_string(), "u-1");
  EXPECT_EQ(json::serialize(r->at("departments")), R"(["eng"])");
}

TEST_P(VerifierDefects, RejectsAlgNoneInAnyCase) {
  const std::string payload = b64(json::serialize(claims()));
  for (const char* alg : {"none", "None", "NONE"}) {
    const std::string header = b64(std::string(R"({"alg":")") + alg + R"(","typ":"JWT"})");
    EXPECT_EQ(error_of(header + "." + payload + "."), TokenError::alg_not_allowed) << alg;
    // A "signature" does not help either.
    EXPECT_EQ(error_of(header + "." + payload + "." + b64("sig")), TokenError::alg_not_allowed) << alg;
  }
}

TEST_P(VerifierDefects, RejectsEveryOtherAlgorithm) {
  const std::pair<Algorithm, const char*> others[] = {{Algorithm::HS256, "hs256_secret.txt"},
                                                      {Algorithm::RS256, "rsa1_private.pem"},
                                                      {Algorithm::ES256, "ec1_private.pem"}};
  for (const auto& [alg, key_file] : others) {
    if (alg == GetParam().algorithm) continue;
    EXPECT_EQ(error_of(sign(claims(), alg, fixture(key_file)).value()), TokenError::alg_not_allowed)
        << to_string(alg);
  }
  // Names the verifier does not implement at all, correctly "signed" with our key as a MAC.
  for (const char* alg : {"HS512", "RS512", "PS256", "ES384", "EdDSA", "hs256", ""}) {
    const std::string header = std::string(R"({"alg":")") + alg + R"("})";
    EXPECT_EQ(error_of(raw_token(header, json::serialize(claims()), Algorithm::HS256, "k")),
              TokenError::alg_not_allowed)
        << alg;
  }
}

TEST_P(VerifierDefects, RejectsTamperedPayload) {
  const std::string t = token(claims());
  const auto dot1 = t.find('.');
  const auto dot2 = t.find('.', dot1 + 1);
  auto forged = claims();
  forged["sub"] = "admin";
  const std::string tampered = t.substr(0, dot1 + 1) + b64(json::serialize(forged)) + t.substr(dot2);
  EXPECT_EQ(error_of(tampered), TokenError::bad_signature);
}

TEST_P(VerifierDefects, RejectsTamperedHeader) {
  const std::string t = token(claims());
  const std::string header =
      b64(R"({"typ":"JWT","alg":")" + std::string(to_string(GetParam().algorithm)) + R"("})");
  EXPECT_EQ(error_of(header + t.substr(t.find('.'))), TokenError::bad_signature);
}

TEST_P(VerifierDefects, RejectsTokenSignedWithAnotherKey) {
  EXPECT_EQ(error_of(sign(claims(), GetParam().algorithm, wrong_key()).value()), TokenError::bad_signature);
}

TEST_P(VerifierDefects, RejectsDamagedSignature) {
  const std::string t = token(claims());
  const auto dot2 = t.rfind('.');
  std::string flipped = t;
  flipped[dot2 + 1] = flipped[dot2 + 1] == 'A' ? 'B' : 'A';
  EXPECT_EQ(error_of(flipped), TokenError::bad_signature);
  EXPECT_EQ(error_of(t.substr(0, dot2 + 1)), TokenError::bad_signature); // empty signature
  const std::string sig = *detail::decode_base64url(t.substr(dot2 + 1));
  EXPECT_EQ(error_of(t.substr(0, dot2 + 1) + b64(sig.substr(0, sig.size() - 1))), TokenError::bad_signature);
  EXPECT_EQ(error_of(t.substr(0, dot2 + 1) + b64(sig + '\0')), TokenError::bad_signature);
}

TEST_P(VerifierDefects, ExpiryAndLeewayEdges) {
  // Default leeway is 30 s: valid strictly before exp + 30.
  EXPECT_TRUE(accepted(token(claims(kNow))));                         // exactly at exp: inside the leeway
  EXPECT_TRUE(accepted(token(claims(kNow - 29))));                    // one second inside the leeway
  EXPECT_EQ(error_of(token(claims(kNow - 30))), TokenError::expired); // exp + leeway == now
  EXPECT_EQ(error_of(token(claims(kNow - 31))), TokenError::expired); // one past
  auto strict = options();
  strict.leeway = std::chrono::seconds(0);
  EXPECT_EQ(error_with(strict, token(claims(kNow))), TokenError::expired); // exactly at exp
  EXPECT_TRUE(make_verifier(strict).verify(token(claims(kNow + 1)), at(kNow)).has_value());
  // Fractional exp, as some issuers write it.
  EXPECT_EQ(error_with(strict, raw(R"({"sub":"u","exp":1767225599.5})")), TokenError::expired);
  EXPECT_TRUE(make_verifier(strict).verify(raw(R"({"sub":"u","exp":1767225600.5})"), at(kNow)).has_value());
}

TEST_P(VerifierDefects, NotBeforeAndLeewayEdges) {
  auto c = claims();
  c["nbf"] = kNow + 30; // nbf - leeway == now: valid
  EXPECT_TRUE(accepted(token(c)));
  c["nbf"] = kNow + 31;
  EXPECT_EQ(error_of(token(c)), TokenError::not_yet_valid);
  c["nbf"] = kNow - 1000;
  EXPECT_TRUE(accepted(token(c)));
  c["nbf"] = "soon";
  EXPECT_EQ(error_of(token(c)), TokenError::malformed);
}

TEST_P(VerifierDefects, ExpIsRequiredByDefault) {
  const json::object c{{"sub", "u-1"}};
  EXPECT_EQ(error_of(token(c)), TokenError::missing_exp);
  auto lax = options();
  lax.require_exp = false;
  EXPECT_TRUE(make_verifier(lax).verify(token(c), at(kNow)).has_value());
  // Even when not required, a present exp is enforced.
  EXPECT_EQ(error_with(lax, token(claims(kPast))), TokenError::expired);
}

TEST_P(VerifierDefects, ExpOfWrongTypeIsMalformed) {
  EXPECT_EQ(error_of(raw(R"({"sub":"u","exp":"4102444800"})")), TokenError::malformed);
  EXPECT_EQ(error_of(raw(R"({"sub":"u","exp":null})")), TokenError::malformed);
  EXPECT_EQ(error_of(raw(R"({"sub":"u","exp":true})")), TokenError::malformed);
  // A huge exp must not overflow anything.
  EXPECT_TRUE(accepted(raw(R"({"sub":"u","exp":1e300})")));
}

TEST_P(VerifierDefects, IssuerIsCheckedWhenConfigured) {
  auto o = options();
  o.issuer = "https://issuer.example";
  auto c = claims();
  EXPECT_EQ(error_with(o, token(c)), TokenError::wrong_issuer); // missing
  c["iss"] = "https://evil.example";
  EXPECT_EQ(error_with(o, token(c)), TokenError::wrong_issuer);
  c["iss"] = json::array{"https://issuer.example"};
  EXPECT_EQ(error_with(o, token(c)), TokenError::wrong_issuer);
  c["iss"] = "https://issuer.example";
  EXPECT_TRUE(make_verifier(o).verify(token(c), at(kNow)).has_value());
  // Not configured: any issuer passes.
  c["iss"] = "anyone";
  EXPECT_TRUE(accepted(token(c)));
}

TEST_P(VerifierDefects, AudienceMayBeStringOrArray) {
  auto o = options();
  o.audience = "herald";
  auto c = claims();
  EXPECT_EQ(error_with(o, token(c)), TokenError::wrong_audience); // missing
  c["aud"] = "herald";
  EXPECT_TRUE(make_verifier(o).verify(token(c), at(kNow)).has_value());
  c["aud"] = json::array{"billing", "herald"};
  EXPECT_TRUE(make_verifier(o).verify(token(c), at(kNow)).has_value());
  c["aud"] = json::array{"billing", "herald-staging"};
  EXPECT_EQ(error_with(o, token(c)), TokenError::wrong_audience);
  c["aud"] = "Herald";
  EXPECT_EQ(error_with(o, token(c)), TokenError::wrong_audience);
  c["aud"] = json::array{};
  EXPECT_EQ(error_with(o, token(c)), TokenError::wrong_audience);
  c["aud"] = 7;
  EXPECT_EQ(error_with(o, token(c)), TokenError::wrong_audience);
}

TEST_P(VerifierDefects, SignedButMalformedPayloadOrHeader) {
  EXPECT_EQ(error_of(raw(R"([{"sub":"u"}])")), TokenError::malformed);
  EXPECT_EQ(error_of(raw("not json")), TokenError::malformed);
  EXPECT_EQ(error_of(raw(R"({"sub":"u","exp":4102444800)")), TokenError::malformed);
  EXPECT_EQ(error_of(raw("")), TokenError::malformed);
  const std::string alg(to_string(GetParam().algorithm));
  const std::string payload = json::serialize(claims());
  // crit names extensions we must understand; we understand none.
  EXPECT_EQ(error_of(raw_token(R"({"alg":")" + alg + R"(","crit":["b64"],"b64":false})", payload,
                               GetParam().algorithm, key())),
            TokenError::malformed);
  EXPECT_EQ(error_of(raw_token(R"({"alg":")" + alg + R"(","kid":7})", payload, GetParam().algorithm, key())),
            TokenError::malformed);
}

TEST_P(VerifierDefects, ConcurrentVerifyIsSafe) {
  const Verifier v = verifier();
  const std::string good = token(claims());
  const std::string bad = sign(claims(), GetParam().algorithm, wrong_key()).value();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (!v.verify(good, at(kNow)).has_value()) ++failures;
        if (v.verify(bad, at(kNow)).has_value()) ++failures;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, VerifierDefects,
                         ::testing::Values(AlgCase{"HS256", Algorithm::HS256, "hs256_secret.txt", "", ""},
                                           AlgCase{"RS256", Algorithm::RS256, "rsa1_private.pem",
                                                   "rsa2_private.pem", "rsa1_public.pem"},
                                           AlgCase{"ES256", Algorithm::ES256, "ec1_private.pem",
                                                   "ec2_private.pem", "ec1_public.pem"}),
                         [](const ::testing::TestParamInfo<AlgCase>& info) {
                           return std::string(info.param.name);
                         });

} // namespace
} // namespace herald::auth::test
