#pragma once
// What both sides of the bench measure, and the helpers to compute it.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace bench {

struct Case {
  std::size_t datum_bytes;  // encoded size of one datum / NATS message payload
  std::size_t consumers;
};

struct Throughput {
  double msgs_s = 0;  // datums delivered per second, summed over consumers
  double mb_s = 0;
};

struct Latency {
  double p50_us = 0;
  double p99_us = 0;
  std::size_t samples = 0;
};

// Duration of the phases. Each case runs kRounds times per side, the sides alternating, and
// reports the medians: a transient slowdown of this shared machine then hits both sides or
// neither, instead of one side's only sample.
inline constexpr std::chrono::milliseconds kThroughputWindow{500};
inline constexpr std::chrono::milliseconds kLatencyWindow{500};
inline constexpr int kRounds = 3;
inline constexpr std::chrono::seconds kDrainLimit{8};

std::int64_t now_ns();
Latency percentiles(std::vector<std::int64_t> samples_ns);
// Peak and current resident set of this process, in bytes (from /proc/self/status).
std::uint64_t peak_rss_bytes();
std::uint64_t current_rss_bytes();

}  // namespace bench
