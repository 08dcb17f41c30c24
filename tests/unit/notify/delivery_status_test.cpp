#include "notify/delivery_status.hpp"
#include "notify/result.hpp"

#include <gtest/gtest.h>

namespace herald::notify {
namespace {

TEST(DeliveryStatus, RoundTripsEveryState) {
  for (auto s : {DeliveryStatus::pending, DeliveryStatus::delivered, DeliveryStatus::failed,
                 DeliveryStatus::permanent_failure}) {
    EXPECT_EQ(delivery_status_from_string(to_string(s)), s);
  }
  EXPECT_EQ(to_string(DeliveryStatus::permanent_failure), "permanent_failure");
}

TEST(DeliveryStatus, RejectsOtherText) {
  EXPECT_EQ(delivery_status_from_string(""), std::nullopt);
  EXPECT_EQ(delivery_status_from_string("Pending"), std::nullopt);
  EXPECT_EQ(delivery_status_from_string("read"), std::nullopt);
}

TEST(Result, CarriesValueOrError) {
  Result<int> ok = 7;
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.value(), 7);
  Result<int> bad = StoreError{StoreErrc::conflict, "exists"};
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, StoreErrc::conflict);
  Result<void> done;
  EXPECT_TRUE(done.ok());
  Result<void> failed = StoreError{StoreErrc::unavailable, "full"};
  EXPECT_EQ(failed.error().code, StoreErrc::unavailable);
  EXPECT_STREQ(to_string(StoreErrc::not_found), "not_found");
}

} // namespace
} // namespace herald::notify
