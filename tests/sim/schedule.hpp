#pragma once
// One schedule: a cluster of 3, 5 or 7 cores under faults drawn from the seed, clients
// running Put/Get against a key-value register store, then a heal phase that must elect a
// leader and complete every pending operation. Everything derives from `seed`: the cluster
// size and faults, and the legal tuning a deployment may choose (batching, pipelining,
// timeouts, clock drift). Some seeds run a scripted adversarial schedule instead of random
// faults (script.cpp).
//
//   auto r = run_schedule(seed, {});
//   if (!r.violations.empty()) fmt::print("replay with SIM_SEED={}\n", seed);

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "groups/raft/planted_bug.hpp"

namespace mosaik::sim {

// Liveness budgets: a clean schedule stays far inside them (40 000 clean schedules reached
// at most 15 elections and term 40; docs/simulator.md), a disruptive core does not.
struct LivenessBudget {
  std::size_t max_elections = 60;  // leaders elected in one schedule
  std::uint64_t max_term = 120;    // the highest term any member reached
  // Over a whole shard (sim_test.cpp): failed or unknown client operations / operations. A
  // single schedule may fail every operation (a long partition), a run of them may not.
  double max_failed_fraction = 0.45;
};

struct ScheduleOptions {
  std::size_t min_ops = 200;  // client operations invoked before the heal phase
  // Replay the schedule exactly as the simulator drew it before issue 19 (fixed tuning, no
  // harsher faults, no scripts), with this batching bound: how the regression seeds were found.
  std::optional<std::size_t> classic_max_entries_per_append;
  // Deliveries and ticks one schedule may take; a storm beyond it is reported, with the seed.
  std::uint64_t max_steps = 3'000'000;
  LivenessBudget budget;
  groups::raft::PlantedBug planted = groups::raft::PlantedBug::None;  // honoured only by a core built with planted bugs
};

// What a schedule did, beside its verdict: the liveness figures its budgets bound.
struct ScheduleResult {
  std::uint64_t seed = 0;
  std::vector<std::string> violations;  // safety, durability, linearizability, liveness, budget
  std::size_t nodes = 0;
  std::size_t ops = 0, ops_ok = 0, ops_failed = 0, ops_unknown = 0;
  std::size_t committed = 0;  // log entries applied anywhere
  std::size_t faults = 0;
  std::size_t elections = 0;  // leaders elected (distinct terms)
  std::uint64_t max_term = 0;
  std::uint64_t steps = 0;
  std::size_t replayed_batches = 0;  // runs of committed entries fetched from members and taken (0412)
  double sim_seconds = 0;
  std::string description;  // the schedule's parameters, for a failing run's report
};

[[nodiscard]] ScheduleResult run_schedule(std::uint64_t seed, const ScheduleOptions& options);

}  // namespace mosaik::sim
