#pragma once
// A fixed-bucket latency histogram for Prometheus: lock-free observe from any thread.

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace herald::core {

class Histogram {
public:
  // Bucket upper bounds in seconds, as Prometheus `le` labels.
  static constexpr std::array<double, 14> kBounds = {0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.025,
                                                     0.05,   0.1,   0.25,  0.5,   1.0,   2.5,  10.0};
  void observe(double seconds);
  // The metric in the Prometheus text format (HELP, TYPE, buckets, sum, count).
  std::string render(std::string_view name, std::string_view help) const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{}; // last: +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micros_{0};
};

} // namespace herald::core
