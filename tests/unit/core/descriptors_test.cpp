#include "core/descriptors.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

namespace herald::core {
namespace {

TEST(Descriptors, SoftLimitRisesToTheHardLimitAndTheTableHoldsIt) {
  rlimit before{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &before), 0);
  const auto limit = prepare_descriptor_table();
  rlimit after{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &after), 0);
  EXPECT_EQ(limit, after.rlim_cur);
  EXPECT_EQ(after.rlim_cur, before.rlim_max);
  // The highest descriptor allowed is usable, and nothing was left open on it.
  const int top = static_cast<int>(std::min<rlim_t>(after.rlim_cur, rlim_t{1} << 18)) - 1;
  EXPECT_EQ(fcntl(top, F_GETFD), -1);
  const int fd = dup2(STDERR_FILENO, top);
  EXPECT_EQ(fd, top);
  if (fd >= 0) close(fd);
}

} // namespace
} // namespace herald::core
