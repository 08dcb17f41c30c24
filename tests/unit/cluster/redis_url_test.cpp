#include "cluster/redis_connection.hpp"

#include <gtest/gtest.h>

namespace herald::cluster {
namespace {

TEST(RedisUrl, HostAndDefaultPort) {
  std::string error;
  auto e = parse_redis_url("redis://cache.internal", error);
  ASSERT_TRUE(e) << error;
  EXPECT_EQ(e->host, "cache.internal");
  EXPECT_EQ(e->port, "6379");
  EXPECT_TRUE(e->password.empty());
}

TEST(RedisUrl, PortPasswordUserAndDatabase) {
  std::string error;
  auto e = parse_redis_url("redis://:s%40cret@127.0.0.1:6380/2", error);
  ASSERT_TRUE(e) << error;
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, "6380");
  EXPECT_EQ(e->username, "");
  EXPECT_EQ(e->password, "s@cret");
  auto u = parse_redis_url("redis://herald:pw@[::1]:7000", error);
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->username, "herald");
  EXPECT_EQ(u->password, "pw");
}

TEST(RedisUrl, RefusesWhatIsNotARedisUrl) {
  for (const char* bad : {"http://localhost", "redis://", "redis://host:0", "redis://host:99999",
                          "redis://host:port", "redis://host/zero", "not a url"}) {
    std::string error;
    EXPECT_FALSE(parse_redis_url(bad, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

} // namespace
} // namespace herald::cluster
