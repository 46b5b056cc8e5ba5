#pragma once
// One randomized schedule: a cluster of 3, 5 or 7 cores under faults drawn from the seed,
// clients running Put/Get against a key-value register store, then a heal phase that must
// elect a leader and complete every pending operation. Everything derives from `seed`.
//
//   auto r = run_schedule(seed, {});
//   if (!r.violations.empty()) fmt::print("replay with SIM_SEED={}\n", seed);

#include <cstdint>
#include <string>
#include <vector>

namespace mosaik::sim {

struct ScheduleOptions {
  std::size_t min_ops = 200;  // client operations invoked before the heal phase
};

struct ScheduleResult {
  std::uint64_t seed = 0;
  std::vector<std::string> violations;  // safety, linearizability, liveness
  std::size_t nodes = 0;
  std::size_t ops = 0, ops_ok = 0, ops_failed = 0, ops_unknown = 0;
  std::size_t committed = 0;  // log entries applied anywhere
  std::size_t faults = 0;
  double sim_seconds = 0;
  std::string description;  // the schedule's parameters, for a failing run's report
};

[[nodiscard]] ScheduleResult run_schedule(std::uint64_t seed, const ScheduleOptions& options);

}  // namespace mosaik::sim
