#pragma once
// Latency samples kept whole and sorted once at the end: a run records at most a few
// hundred thousand samples, so exact percentiles cost less than getting buckets right.

#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace herald::bench {

class Histogram {
public:
  // Records one sample in nanoseconds; past `max_samples` it only counts (memory stays bounded).
  void record(int64_t ns);
  std::size_t count() const { return count_; }
  // The q-quantile (0..1) in nanoseconds, or 0 when empty. Sorts the samples on first use.
  int64_t quantile(double q);
  int64_t max() const { return max_; }
  // {count, p50_ms, p90_ms, p99_ms, p999_ms, max_ms}
  boost::json::object summary();

private:
  static constexpr std::size_t max_samples = 20'000'000;
  std::vector<int64_t> samples_;
  std::size_t count_ = 0;
  int64_t max_ = 0;
  bool sorted_ = true;
};

} // namespace herald::bench
