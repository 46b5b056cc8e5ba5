#pragma once
// Clock, latency percentiles and resident memory, shared by both sides of the bench.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace bench {

// CLOCK_MONOTONIC in ns: one clock for every process on the machine, so a time taken in the
// bench (a SIGKILL) compares with one taken in a member process (the next commit).
std::int64_t now_ns();

struct Latency {
  double p50_us = 0;
  double p99_us = 0;
};
Latency percentiles(std::vector<std::int64_t> samples_ns);

// VmRSS of a process in MB, or nullopt when it cannot be read.
std::optional<double> rss_mb(pid_t pid);
// CPU time (user + system) a process used so far, in seconds (0 when it cannot be read).
double cpu_seconds(pid_t pid);

}  // namespace bench
