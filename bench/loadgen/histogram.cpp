#include "histogram.hpp"

#include <algorithm>
#include <cmath>

namespace herald::bench {

void Histogram::record(int64_t ns) {
  ++count_;
  max_ = std::max(max_, ns);
  if (samples_.size() >= max_samples) return;
  samples_.push_back(ns);
  sorted_ = false;
}

int64_t Histogram::quantile(double q) {
  if (samples_.empty()) return 0;
  if (!sorted_) {
    std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
  }
  // Nearest rank: the smallest sample with at least q of the samples at or below it.
  const auto rank = std::size_t(std::ceil(q * double(samples_.size())));
  return samples_[std::min(samples_.size() - 1, rank == 0 ? 0 : rank - 1)];
}

boost::json::object Histogram::summary() {
  auto ms = [](int64_t ns) { return std::round(double(ns) / 1e3) / 1e3; }; // microsecond precision
  boost::json::object o;
  o["count"] = count_;
  o["p50_ms"] = ms(quantile(0.50));
  o["p90_ms"] = ms(quantile(0.90));
  o["p99_ms"] = ms(quantile(0.99));
  o["p999_ms"] = ms(quantile(0.999));
  o["max_ms"] = ms(max_);
  return o;
}

} // namespace herald::bench
