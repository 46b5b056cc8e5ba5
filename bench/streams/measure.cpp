#include "measure.hpp"

#include <algorithm>
#include <fstream>
#include <string>

namespace bench {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Latency percentiles(std::vector<std::int64_t> samples) {
  Latency out;
  out.samples = samples.size();
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

namespace {
std::uint64_t status_kb(const std::string& key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(key, 0) == 0) return std::stoull(line.substr(key.size())) * 1024;
  }
  return 0;
}
}  // namespace

std::uint64_t peak_rss_bytes() { return status_kb("VmHWM:"); }
std::uint64_t current_rss_bytes() { return status_kb("VmRSS:"); }

}  // namespace bench
