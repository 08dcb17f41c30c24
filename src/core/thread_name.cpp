#include "core/thread_name.hpp"

#include <pthread.h>

namespace herald::core {

void name_this_thread(const std::string& name) {
  // Longer names are refused (ERANGE), so cut them; a name is a convenience, never an error.
  (void)pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

} // namespace herald::core
