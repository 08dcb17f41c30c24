// Where the token is read from, and how it is cleaned up.

#include "auth/token_source.hpp"

#include <gtest/gtest.h>

namespace herald::auth {
namespace {

using std::nullopt;

TEST(ExtractToken, PrecedenceIsAuthThenQueryThenHeader) {
  EXPECT_EQ(extract_token("a", "q", "Bearer h"), "a");
  EXPECT_EQ(extract_token(nullopt, "q", "Bearer h"), "q");
  EXPECT_EQ(extract_token(nullopt, nullopt, "Bearer h"), "h");
  EXPECT_EQ(extract_token(nullopt, nullopt, nullopt), nullopt);
}

TEST(ExtractToken, EmptySourcesDoNotShadowLaterOnes) {
  EXPECT_EQ(extract_token("", "q", nullopt), "q");
  EXPECT_EQ(extract_token("   ", "", "h"), "h");
  EXPECT_EQ(extract_token("Bearer ", nullopt, "h"), "h");
  EXPECT_EQ(extract_token("", "", ""), nullopt);
  EXPECT_EQ(extract_token(nullopt, nullopt, "Bearer"), nullopt);
}

TEST(ExtractToken, BearerPrefixInAnyCaseAndWhiteSpaceAreRemoved) {
  EXPECT_EQ(extract_token(" Bearer abc.def.ghi", nullopt, nullopt), "abc.def.ghi");
  EXPECT_EQ(extract_token("bearer abc", nullopt, nullopt), "abc");
  EXPECT_EQ(extract_token("BEARER abc", nullopt, nullopt), "abc");
  EXPECT_EQ(extract_token("BeArEr\tabc", nullopt, nullopt), "abc");
  EXPECT_EQ(extract_token(nullopt, nullopt, "  Bearer   abc  \r\n"), "abc");
  EXPECT_EQ(extract_token(nullopt, " abc ", nullopt), "abc");
  EXPECT_EQ(extract_token("abc", nullopt, nullopt), "abc");
}

TEST(ExtractToken, OnlyOneWholeWordPrefixIsRemoved) {
  EXPECT_EQ(extract_token("Bearerabc", nullopt, nullopt), "Bearerabc");
  EXPECT_EQ(extract_token("Bearer Bearer abc", nullopt, nullopt), "Bearer abc");
  EXPECT_EQ(extract_token("Basic dXNlcjpwYXNz", nullopt, nullopt), "Basic dXNlcjpwYXNz");
}

TEST(StripBearer, NormalisesOneSource) {
  EXPECT_EQ(strip_bearer("\t bearer  x "), "x");
  EXPECT_EQ(strip_bearer("bearer"), "");
  EXPECT_EQ(strip_bearer(""), "");
}

} // namespace
} // namespace herald::auth
