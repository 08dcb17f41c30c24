// Claims to Principal: user id sources, departments, defaults, and types.

#include "auth/principal.hpp"
#include "auth_test_support.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

#include <limits>

namespace herald::auth::test {
namespace {

boost::system::result<Principal, TokenError> from(std::string_view json) {
  return principal_from_claims(boost::json::parse(json).as_object());
}

TokenError error_of(std::string_view json) {
  const auto r = from(json);
  EXPECT_FALSE(r.has_value()) << json;
  return r ? TokenError::key_error : r.error();
}

using Strings = std::vector<std::string>;

TEST(Principal, FullClaims) {
  const auto p = from(R"({"sub":"u-1","departments":["eng","ops"],"username":"alice",
                          "display_name":"Alice A.","roles":["user","admin"],"exp":1767225600})");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->user_id, "u-1");
  EXPECT_EQ(p->departments, (Strings{"eng", "ops"}));
  EXPECT_EQ(p->username, "alice");
  EXPECT_EQ(p->display_name, "Alice A.");
  EXPECT_EQ(p->roles, (Strings{"user", "admin"}));
  EXPECT_EQ(p->expires_at, at(kNow));
}

TEST(Principal, SubWinsOverUserId) {
  EXPECT_EQ(from(R"({"sub":"a","user_id":"b"})")->user_id, "a");
  EXPECT_EQ(from(R"({"user_id":"b"})")->user_id, "b");
  EXPECT_EQ(from(R"({"sub":null,"user_id":"b"})")->user_id, "b");
}

TEST(Principal, NumericIdsBecomeDecimalStrings) {
  EXPECT_EQ(from(R"({"sub":42})")->user_id, "42");
  EXPECT_EQ(from(R"({"user_id":-7})")->user_id, "-7");
  EXPECT_EQ(from(R"({"sub":18446744073709551615})")->user_id, "18446744073709551615");
  EXPECT_EQ(from(R"({"sub":"1","departments":[10,"x",20]})")->departments, (Strings{"10", "x", "20"}));
}

TEST(Principal, UserIdIsRequired) {
  EXPECT_EQ(error_of("{}"), TokenError::missing_user_id);
  EXPECT_EQ(error_of(R"({"sub":""})"), TokenError::missing_user_id);
  EXPECT_EQ(error_of(R"({"sub":1.5})"), TokenError::missing_user_id);
  EXPECT_EQ(error_of(R"({"sub":true})"), TokenError::missing_user_id);
  EXPECT_EQ(error_of(R"({"sub":{"id":"u"}})"), TokenError::missing_user_id);
  EXPECT_EQ(error_of(R"({"user_id":["u"]})"), TokenError::missing_user_id);
  // A present but unusable sub does not fall back to user_id.
  EXPECT_EQ(error_of(R"({"sub":{},"user_id":"u"})"), TokenError::missing_user_id);
}

TEST(Principal, DepartmentsMustBeAnArrayOfIds) {
  EXPECT_EQ(error_of(R"({"sub":"u","departments":"eng"})"), TokenError::invalid_claims);
  EXPECT_EQ(error_of(R"({"sub":"u","departments":{"eng":true}})"), TokenError::invalid_claims);
  EXPECT_EQ(error_of(R"({"sub":"u","departments":["eng",null]})"), TokenError::invalid_claims);
  EXPECT_EQ(error_of(R"({"sub":"u","departments":["eng",["ops"]]})"), TokenError::invalid_claims);
  EXPECT_EQ(error_of(R"({"sub":"u","departments":["eng",1.5]})"), TokenError::invalid_claims);
  EXPECT_EQ(error_of(R"({"sub":"u","departments":[""]})"), TokenError::invalid_claims);
  EXPECT_EQ(from(R"({"sub":"u","departments":[]})")->departments, Strings{});
  EXPECT_EQ(from(R"({"sub":"u","departments":null})")->departments, Strings{});
  // One room per department, even if the issuer repeats one.
  EXPECT_EQ(from(R"({"sub":"u","departments":["a","b","a",1,"1"]})")->departments, (Strings{"a", "b", "1"}));
}

TEST(Principal, DefaultsWhenOptionalClaimsAreAbsent) {
  const auto p = from(R"({"sub":"u-1"})");
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(p->departments.empty());
  EXPECT_TRUE(p->roles.empty());
  EXPECT_EQ(p->username, "");
  EXPECT_EQ(p->display_name, "u-1");
  EXPECT_FALSE(p->expires_at.has_value());
  EXPECT_EQ(from(R"({"sub":"u-1","username":"bob"})")->display_name, "bob");
  EXPECT_EQ(from(R"({"sub":"u-1","username":"bob","display_name":""})")->display_name, "bob");
}

TEST(Principal, OptionalClaimsOfTheWrongTypeAreRefused) {
  EXPECT_EQ(error_of(R"({"sub":"u","username":7})"), TokenError::invalid_claims);
  EXPECT_EQ(error_of(R"({"sub":"u","display_name":["x"]})"), TokenError::invalid_claims);
  EXPECT_EQ(error_of(R"({"sub":"u","roles":"admin"})"), TokenError::invalid_claims);
  EXPECT_EQ(error_of(R"({"sub":"u","roles":[1]})"), TokenError::invalid_claims);
  EXPECT_EQ(error_of(R"({"sub":"u","exp":"soon"})"), TokenError::invalid_claims);
}

TEST(Principal, ExpiryIsClampedNotOverflowed) {
  EXPECT_EQ(from(R"({"sub":"u","exp":1e300})")->expires_at, core::WallTime::max());
  EXPECT_EQ(from(R"({"sub":"u","exp":-1e300})")->expires_at, core::WallTime::min());
  EXPECT_EQ(from(R"({"sub":"u","exp":4102444800})")->expires_at, at(kFuture));
}

// NaN (Boost.JSON 1.81 reads "0e310" as NaN) is no time at all: converting it to a time
// point was undefined behaviour (found by fuzz_jwt).
TEST(Principal, NonFiniteExpiryIsRefused) {
  EXPECT_EQ(error_of(R"({"sub":"u","exp":0e310})"), TokenError::invalid_claims);
  EXPECT_EQ(error_of(R"({"sub":"u","exp":1e400})"), TokenError::invalid_claims);
  for (const double exp : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity()}) {
    const auto r = principal_from_claims(boost::json::object{{"sub", "u"}, {"exp", exp}});
    ASSERT_FALSE(r.has_value()) << exp;
    EXPECT_EQ(r.error(), TokenError::invalid_claims);
  }
}

TEST(Principal, ProducersAreServiceOrAdmin) {
  EXPECT_TRUE(is_producer(*from(R"({"sub":"u","roles":["service"]})")));
  EXPECT_TRUE(is_producer(*from(R"({"sub":"u","roles":["user","admin"]})")));
  EXPECT_FALSE(is_producer(*from(R"({"sub":"u","roles":["user","Admin","services"]})")));
  EXPECT_FALSE(is_producer(*from(R"({"sub":"u"})")));
}

} // namespace
} // namespace herald::auth::test
