// bench/streams: mosaik streams next to NATS on loopback (issue 6). For 1 KiB and 64 B
// datums, 1 producer -> 1 consumer and 1 -> 8: delivered datums/s (summed over consumers),
// MB/s, and p50/p99 latency at an offered load of half the measured maximum; plus the
// producer's RSS growth with one stalled consumer. One JSON object per case: the medians of
// kRounds alternating runs per side.
//
//   build/default/bench/streams          # starts and stops nats-server itself
//   build/default/bench/streams 1to1_1k  # one case only, both sides
//   build/default/bench/streams 1to1_1k mosaik   # one side only (to profile it)

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "sides.hpp"

namespace {

// Each figure's median over the rounds (taken separately: they may come from different runs).
bench::SideResult median_of(std::vector<bench::SideResult> runs) {
  bench::SideResult out;
  if (runs.empty()) return out;
  auto median = [&runs](auto field) {
    std::vector<double> values;
    for (const auto& r : runs) values.push_back(field(r));
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
  };
  out.throughput.msgs_s = median([](const auto& r) { return r.throughput.msgs_s; });
  out.throughput.mb_s = median([](const auto& r) { return r.throughput.mb_s; });
  out.latency.p50_us = median([](const auto& r) { return r.latency.p50_us; });
  out.latency.p99_us = median([](const auto& r) { return r.latency.p99_us; });
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string only_case = argc > 1 ? argv[1] : "";
  const std::string only_side = argc > 2 ? argv[2] : "";
  try {
    // First, before any thread exists: the stalled-consumer case forks.
    constexpr std::size_t kBuffer = 1024;
    const double stalled_mb = only_side.empty() ? bench::stalled_producer_rss_mb(kBuffer) : 0;
    bench::NatsServer nats;
    struct Named {
      const char* name;
      bench::Case c;
    };
    const Named cases[] = {{"1to1_1k", {1024, 1}}, {"1to8_1k", {1024, 8}},
                           {"1to1_64b", {64, 1}}, {"1to8_64b", {64, 8}}};
    for (const auto& [name, c] : cases) {
      if (!only_case.empty() && only_case != name) continue;
      std::vector<bench::SideResult> ms, ns;
      for (int round = 0; round < bench::kRounds; ++round) {
        if (only_side != "nats") ms.push_back(bench::run_mosaik(c, 0.5));
        if (only_side != "mosaik") ns.push_back(bench::run_nats(c, 0.5, nats.url()));
      }
      const bench::SideResult m = median_of(ms);
      const bench::SideResult n = median_of(ns);
      fmt::print(
          "{{\"case\": \"{}\", \"mosaik_msgs_s\": {:.0f}, \"nats_msgs_s\": {:.0f}, "
          "\"throughput_ratio\": {:.3f}, \"mosaik_mb_s\": {:.1f}, \"nats_mb_s\": {:.1f}, "
          "\"mosaik_p50_us\": {:.1f}, \"nats_p50_us\": {:.1f}, \"latency_ratio\": {:.3f}, "
          "\"mosaik_p99_us\": {:.1f}, \"nats_p99_us\": {:.1f}, \"stalled_rss_mb\": {:.2f}, "
          "\"stalled_bound_mb\": {:.2f}}}\n",
          name, m.throughput.msgs_s, n.throughput.msgs_s,
          m.throughput.msgs_s / n.throughput.msgs_s, m.throughput.mb_s, n.throughput.mb_s,
          m.latency.p50_us, n.latency.p50_us, m.latency.p50_us / n.latency.p50_us,
          m.latency.p99_us, n.latency.p99_us, stalled_mb, kBuffer * 1024 / 1e6);
      std::fflush(stdout);
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench/streams: %s\n", e.what());
    return 1;
  }
}
