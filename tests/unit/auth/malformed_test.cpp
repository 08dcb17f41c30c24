// Tokens that are not JWS compact serialisations of JSON objects.

#include "auth/sign.hpp"
#include "auth/verifier.hpp"
#include "auth_test_support.hpp"

#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

namespace herald::auth::test {
namespace {

class Malformed : public ::testing::Test {
protected:
  Verifier verifier_ = make_verifier(hs256_options());
  std::string secret_ = fixture("hs256_secret.txt");
  std::string good_ =
      sign(boost::json::object{{"sub", "u"}, {"exp", kNow + 60}}, Algorithm::HS256, secret_).value();

  TokenError error_of(std::string_view token) {
    auto r = verifier_.verify(token, at(kNow));
    EXPECT_FALSE(r.has_value()) << token;
    return r ? TokenError::key_error : r.error();
  }
  std::string header() const { return good_.substr(0, good_.find('.')); }
  std::string payload() const {
    const auto a = good_.find('.') + 1;
    return good_.substr(a, good_.rfind('.') - a);
  }
  std::string signature() const { return good_.substr(good_.rfind('.') + 1); }
};

TEST_F(Malformed, GoodTokenIsAccepted) { EXPECT_TRUE(verifier_.verify(good_, at(kNow)).has_value()); }

TEST_F(Malformed, WrongNumberOfSegments) {
  EXPECT_EQ(error_of(header()), TokenError::malformed);
  EXPECT_EQ(error_of(header() + "." + payload()), TokenError::malformed);
  EXPECT_EQ(error_of(good_ + "." + signature()), TokenError::malformed); // four
  EXPECT_EQ(error_of(good_ + ".a.b"), TokenError::malformed);            // five, JWE-shaped
  EXPECT_EQ(error_of(".."), TokenError::malformed);
  EXPECT_EQ(error_of("."), TokenError::malformed);
  EXPECT_EQ(error_of("not a token"), TokenError::malformed);
}

TEST_F(Malformed, EmptyTokenIsMissing) { EXPECT_EQ(error_of(""), TokenError::missing_token); }

TEST_F(Malformed, BadBase64Url) {
  EXPECT_EQ(error_of(header() + "=." + payload() + "." + signature()), TokenError::malformed); // padding
  EXPECT_EQ(error_of("eyJ+bGciOiJIUzI1NiJ9." + payload() + "." + signature()), TokenError::malformed);
  EXPECT_EQ(error_of(header() + "." + payload() + "/." + signature()), TokenError::malformed);
  EXPECT_EQ(error_of(header() + "." + payload() + "." + signature() + "!"), TokenError::malformed);
  EXPECT_EQ(error_of(header() + "." + payload() + " ." + signature()), TokenError::malformed);
  // A length of 4n+1 can never be base64.
  EXPECT_EQ(error_of(header() + "." + payload() + "." + signature() + "AA"), TokenError::malformed);
  // Non-canonical: the last character carries stray low bits ("AB" decodes like "AA").
  EXPECT_EQ(error_of(header() + "." + payload() + "." + signature().substr(0, 42) + "B"),
            TokenError::malformed);
  ASSERT_EQ(signature().size(), 43u);
}

TEST_F(Malformed, HeaderMustBeAJsonObjectWithStringAlg) {
  const std::string rest = "." + payload() + "." + signature();
  EXPECT_EQ(error_of(b64("not json") + rest), TokenError::malformed);
  EXPECT_EQ(error_of(b64(R"(["alg","HS256"])") + rest), TokenError::malformed);
  EXPECT_EQ(error_of(b64(R"("HS256")") + rest), TokenError::malformed);
  EXPECT_EQ(error_of(b64(R"({"typ":"JWT"})") + rest), TokenError::malformed);
  EXPECT_EQ(error_of(b64(R"({"alg":["HS256"]})") + rest), TokenError::malformed);
  EXPECT_EQ(error_of(b64(R"({"alg":"HS256",})") + rest), TokenError::malformed);
  EXPECT_EQ(error_of(b64("{\"alg\":\"HS256\"}\xff") + rest), TokenError::malformed);
  EXPECT_EQ(error_of(b64("") + rest), TokenError::malformed);
}

TEST_F(Malformed, PayloadMustBeAJsonObject) {
  // Unsigned garbage fails on the signature first: claims are parsed only once authentic.
  EXPECT_EQ(error_of(header() + "." + b64("[1,2]") + "." + signature()), TokenError::bad_signature);
  const std::string h = R"({"alg":"HS256"})";
  EXPECT_EQ(error_of(raw_token(h, "[1,2]", Algorithm::HS256, secret_)), TokenError::malformed);
  EXPECT_EQ(error_of(raw_token(h, "42", Algorithm::HS256, secret_)), TokenError::malformed);
  EXPECT_EQ(error_of(raw_token(h, "{\"sub\":\"\xc3\x28\"}", Algorithm::HS256, secret_)),
            TokenError::malformed);
  // Payload that is not base64url at all.
  const std::string input = b64(h) + ".***";
  EXPECT_EQ(error_of(input + "." + b64(signature_over(Algorithm::HS256, secret_, input))),
            TokenError::malformed);
}

// Boost.JSON 1.81 reads a zero with an exponent past double range ("0e310") as NaN, and NaN
// compares false both ways: such an exp never expired, such an nbf never mattered (found by
// fuzz_jwt). A time past double range ("1e400") is infinite; neither is a NumericDate.
TEST_F(Malformed, NonFiniteTimesAreMalformed) {
  const std::string h = R"({"alg":"HS256"})";
  for (const char* payload :
       {R"({"sub":"u","exp":0e310})", R"({"sub":"u","exp":-0e999})", R"({"sub":"u","exp":1e400})",
        R"({"sub":"u","exp":1767225660,"nbf":0e310})", R"({"sub":"u","exp":1767225660,"nbf":-1e400})"}) {
    SCOPED_TRACE(payload);
    EXPECT_EQ(error_of(raw_token(h, payload, Algorithm::HS256, secret_)), TokenError::malformed);
  }
}

TEST_F(Malformed, DuplicateHeaderMembersResolveToTheLastAsRfc7515Allows) {
  const std::string payload = R"({"sub":"u","exp":1767225660})";
  EXPECT_EQ(error_of(raw_token(R"({"alg":"HS256","alg":"none"})", payload, Algorithm::HS256, secret_)),
            TokenError::alg_not_allowed);
  EXPECT_TRUE(
      verifier_
          .verify(raw_token(R"({"alg":"none","alg":"HS256"})", payload, Algorithm::HS256, secret_), at(kNow))
          .has_value());
}

TEST_F(Malformed, OversizedTokenIsRefusedUnparsed) {
  boost::json::object claims{{"sub", "u"}, {"exp", kNow + 60}, {"pad", std::string(20000, 'x')}};
  EXPECT_EQ(error_of(sign(claims, Algorithm::HS256, secret_).value()), TokenError::malformed);
}

TEST_F(Malformed, SurroundingWhiteSpaceIsNotTheVerifiersJob) {
  // extract_token strips it; the verifier sees the token as the client sent it.
  EXPECT_EQ(error_of(" " + good_), TokenError::malformed);
  EXPECT_EQ(error_of(good_ + "\n"), TokenError::malformed);
}

} // namespace
} // namespace herald::auth::test
