#include "core/descriptors.hpp"

#include <algorithm>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace herald::core {

std::uint64_t prepare_descriptor_table() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &limit);
    (void)::getrlimit(RLIMIT_NOFILE, &limit);
  }
  // Duplicating onto the highest descriptor wanted makes the kernel size the table for it
  // now; the table never shrinks. Capped: a table of 2^18 is 2 MiB of kernel memory.
  const auto top = static_cast<int>(std::min<rlim_t>(limit.rlim_cur, rlim_t{1} << 18)) - 1;
  if (const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC); fd >= 0) {
    if (top > fd && ::dup2(fd, top) == top) ::close(top);
    ::close(fd);
  }
  return limit.rlim_cur;
}

} // namespace herald::core
