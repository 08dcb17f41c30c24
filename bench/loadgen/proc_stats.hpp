#pragma once
// What the run knows about the processes involved: its own CPU time (to show the load
// generator was not the bottleneck) and the server's resident memory and CPU ticks.

#include <cstdint>
#include <optional>

namespace herald::bench {

int64_t monotonic_ns(); // CLOCK_MONOTONIC, the clock carried in notification titles

// User plus system CPU time of this process, in seconds.
double self_cpu_seconds();

// Raises the open-files soft limit to the hard limit; returns the new soft limit.
uint64_t raise_file_limit();

// VmRSS of `pid` in bytes, from /proc/PID/status.
std::optional<int64_t> process_rss_bytes(int pid);
// utime + stime of `pid` in seconds, from /proc/PID/stat.
std::optional<double> process_cpu_seconds(int pid);

} // namespace herald::bench
