#pragma once
// Names the calling thread for `top -H`, `ps -L`, perf and gdb (Linux keeps 15 characters).

#include <string>

namespace herald::core {

void name_this_thread(const std::string& name);

} // namespace herald::core
