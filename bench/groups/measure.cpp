#include "measure.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>

namespace bench {

std::int64_t now_ns() {
  static_assert(std::chrono::steady_clock::is_steady);  // libstdc++: CLOCK_MONOTONIC
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Latency percentiles(std::vector<std::int64_t> samples) {
  Latency out;
  if (samples.empty()) return out;
  std::sort(samples.begin(), samples.end());
  auto at = [&samples](double q) {
    const auto i = static_cast<std::size_t>(q * static_cast<double>(samples.size() - 1));
    return static_cast<double>(samples[i]) / 1000.0;
  };
  out.p50_us = at(0.50);
  out.p99_us = at(0.99);
  return out;
}

std::optional<double> rss_mb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return static_cast<double>(std::stoull(line.substr(6))) / 1024.0;
  }
  return std::nullopt;
}

}  // namespace bench
