#pragma once
// The process's file descriptors: every connection is one.

#include <cstdint>

namespace herald::core {

// Raises the soft limit on open files to the hard limit, then grows the descriptor table
// to hold that many (up to 2^18). Call it before any thread starts: the kernel grows the
// table by doubling, and in a process with several threads each doubling waits for an RCU
// grace period (about 20 ms here) inside the accept() that crossed the power of two, a
// stall every connection in flight shares. Returns the soft limit now in force.
std::uint64_t prepare_descriptor_table();

} // namespace herald::core
