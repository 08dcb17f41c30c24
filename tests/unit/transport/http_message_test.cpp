#include "transport/http_message.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace herald::transport {
namespace {

TEST(QueryParams, DecodesPairs) {
  const auto params = parse_query_params("EIO=4&transport=websocket&token=a%2Eb+c&flag");
  ASSERT_TRUE(params.has_value());
  const HeaderList expected{{"EIO", "4"}, {"transport", "websocket"}, {"token", "a.b c"}, {"flag", ""}};
  EXPECT_EQ(*params, expected);
  EXPECT_TRUE(parse_query_params("")->empty());
  EXPECT_FALSE(parse_query_params("a=%zz").has_value());
}

// Boost.URL 1.81's parse_query rebuilds its view from the pointer alone (strlen), so it read
// past a view that is not the end of its string (boostorg/url#757): the last parameter ran
// on into the bytes after the view, and a view at the end of a buffer without a NUL was a
// heap over-read (found by fuzz_jwt).
TEST(QueryParams, ReadsOnlyTheGivenView) {
  const std::string buffer = "a=1&token=abc&more=x";
  const auto params = parse_query_params(std::string_view(buffer).substr(0, 11)); // "a=1&token=a"
  ASSERT_TRUE(params.has_value());
  const HeaderList expected{{"a", "1"}, {"token", "a"}};
  EXPECT_EQ(*params, expected);

  const auto empty = parse_query_params(std::string_view(buffer).substr(0, 0));
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
}

} // namespace
} // namespace herald::transport
