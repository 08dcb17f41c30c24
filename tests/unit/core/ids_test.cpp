#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace herald::core {
namespace {

// RFC 4648 section 10 test vectors.
const std::vector<std::pair<std::string, std::string>> kRfc4648 = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

std::string all_bytes() {
  std::string s;
  for (int i = 0; i < 256; ++i)
    s += static_cast<char>(i);
  return s;
}

TEST(Base64, Rfc4648Vectors) {
  for (const auto& [plain, encoded] : kRfc4648) {
    SCOPED_TRACE(plain);
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), plain);
  }
}

TEST(Base64Url, Rfc4648VectorsWithoutPadding) {
  for (const auto& [plain, encoded] : kRfc4648) {
    SCOPED_TRACE(plain);
    std::string unpadded = encoded;
    while (!unpadded.empty() && unpadded.back() == '=')
      unpadded.pop_back();
    EXPECT_EQ(base64url_encode(plain), unpadded);
    EXPECT_EQ(base64url_decode(unpadded), plain);
  }
}

TEST(Base64, TheTwoAlphabetsDifferOnlyInTheLastTwoCharacters) {
  const std::string bytes = "\xfb\xff\xbf";
  EXPECT_EQ(base64_encode(bytes), "+/+/");
  EXPECT_EQ(base64url_encode(bytes), "-_-_");
  EXPECT_EQ(base64_decode("+/+/"), bytes);
  EXPECT_EQ(base64url_decode("-_-_"), bytes);
  EXPECT_EQ(base64_encode(std::string("\x01\x02\x03\x04", 4)), "AQIDBA==");
}

TEST(Base64, RoundTripsEveryLengthAndByte) {
  const std::string bytes = all_bytes();
  for (std::size_t len = 0; len <= bytes.size(); ++len) {
    for (std::size_t start : {std::size_t{0}, (256 - len) / 2, 256 - len}) {
      const std::string in = bytes.substr(start, len);
      SCOPED_TRACE(::testing::Message() << "len " << len << " start " << start);
      const std::string std_text = base64_encode(in);
      EXPECT_EQ(std_text.size(), (len + 2) / 3 * 4);
      EXPECT_EQ(base64_decode(std_text), in);
      const std::string url_text = base64url_encode(in);
      EXPECT_EQ(url_text.size(), (len * 4 + 2) / 3);
      EXPECT_EQ(url_text.find_first_of("+/="), std::string::npos);
      EXPECT_EQ(base64url_decode(url_text), in);
    }
  }
}

TEST(Base64, RejectsBadInput) {
  const std::vector<std::string> bad = {
      "Zg",       // unpadded: standard base64 needs a multiple of 4
      "Zg=",      // bad length
      "Zm9vY",    // bad length
      "Z===",     // three padding characters
      "====",     // nothing but padding
      "Zg==Zg==", // padding in the middle
      "Zm=v",     // '=' inside a quantum
      "Zm9v!A==", // outside the alphabet
      "Zm-_",     // base64url characters
      "Zm9v\n",   // whitespace
      "Zm9 v===", // space
      std::string("Zm\0v", 4),
      "Zm9v\x80\x80\x80\x80",
  };
  for (const auto& text : bad) {
    SCOPED_TRACE(text);
    EXPECT_EQ(base64_decode(text), std::nullopt);
  }
}

TEST(Base64Url, RejectsBadInput) {
  const std::vector<std::string> bad = {
      "Z",      // one character cannot hold a byte
      "Zm9vY",  // 4n+1 characters
      "Zm+/",   // standard alphabet
      "Zm9v!",  // outside the alphabet
      "Zm 9v",  // space
      "Zm9v\n", // newline
  };
  for (const auto& text : bad) {
    SCOPED_TRACE(text);
    EXPECT_EQ(base64url_decode(text), std::nullopt);
  }
}

TEST(RandomToken, LengthIsUnpaddedBase64urlOfNBytes) {
  // Past 4096: a token larger than the block of CSPRNG output the tokens are drawn from.
  for (std::size_t n : {0u, 1u, 2u, 3u, 15u, 16u, 20u, 32u, 64u, 4095u, 4096u, 9000u}) {
    SCOPED_TRACE(n);
    const std::string token = random_token(n);
    EXPECT_EQ(token.size(), (n * 4 + 2) / 3);
    EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
    const auto bytes = base64url_decode(token);
    ASSERT_TRUE(bytes.has_value());
    EXPECT_EQ(bytes->size(), n);
  }
  EXPECT_EQ(random_token(15).size(), 20u); // the socket id length
}

TEST(RandomToken, TokensAreUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i)
    seen.insert(random_token(16));
  EXPECT_EQ(seen.size(), 10000u);
  // Not constant in any position: each of the first characters varies across tokens.
  std::set<char> first;
  for (const auto& t : seen)
    first.insert(t[0]);
  EXPECT_GT(first.size(), 32u);
}

} // namespace
} // namespace herald::core
