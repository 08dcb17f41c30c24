// Wire codes, log messages, algorithm names, and strict base64url.

#include "auth/algorithm.hpp"
#include "auth/detail/crypto.hpp"
#include "auth/token_error.hpp"

#include <gtest/gtest.h>

#include <set>

namespace herald::auth {
namespace {

constexpr TokenError kAll[] = {
    TokenError::missing_token,  TokenError::malformed,       TokenError::alg_not_allowed,
    TokenError::bad_signature,  TokenError::unknown_kid,     TokenError::expired,
    TokenError::not_yet_valid,  TokenError::missing_exp,     TokenError::wrong_issuer,
    TokenError::wrong_audience, TokenError::missing_user_id, TokenError::invalid_claims,
    TokenError::key_error,
};

TEST(TokenError, WireCodesFollowTheSpec) {
  for (const auto e : kAll) {
    const std::string_view expected = e == TokenError::expired     ? "EXPIRED_TOKEN"
                                      : e == TokenError::key_error ? "SERVER_ERROR"
                                                                   : "INVALID_TOKEN";
    EXPECT_EQ(error_code(e), expected) << describe(e);
  }
}

TEST(TokenError, EveryErrorHasADistinctMessage) {
  std::set<std::string_view> seen;
  for (const auto e : kAll) {
    EXPECT_FALSE(describe(e).empty());
    EXPECT_TRUE(seen.insert(describe(e)).second) << describe(e);
  }
}

TEST(Algorithm, NamesRoundTripExactly) {
  for (const auto a : {Algorithm::HS256, Algorithm::RS256, Algorithm::ES256}) {
    EXPECT_EQ(parse_algorithm(to_string(a)), a);
  }
  EXPECT_EQ(parse_algorithm("hs256"), std::nullopt);
  EXPECT_EQ(parse_algorithm("none"), std::nullopt);
  EXPECT_EQ(parse_algorithm(""), std::nullopt);
}

TEST(Base64Url, StrictDecoding) {
  EXPECT_EQ(detail::decode_base64url("aGk"), "hi");
  EXPECT_EQ(detail::decode_base64url(""), "");
  EXPECT_EQ(detail::decode_base64url("-_8"), "\xfb\xff");
  EXPECT_EQ(detail::decode_base64url("aGk="), std::nullopt); // padding
  EXPECT_EQ(detail::decode_base64url("aGl"), std::nullopt);  // stray bits
  EXPECT_EQ(detail::decode_base64url("a"), std::nullopt);    // impossible length
  EXPECT_EQ(detail::decode_base64url("+/8"), std::nullopt);  // standard alphabet
}

} // namespace
} // namespace herald::auth
