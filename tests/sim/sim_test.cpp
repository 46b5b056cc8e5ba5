// Randomized schedules under faults, judged by the per-step invariants, the safety and
// linearizability checkers and the liveness budgets (issues 7 and 19). Seeds are fixed so CI
// is reproducible. Settings (docs/simulator.md):
//   SIM_SEED=n        replay schedule n only
//   SIM_SEED_BASE=n   move the whole range
//   SIM_SCHEDULES=n   schedules in all, split over the 8 shards (default 2000; a soak runs more)
//   SIM_MAX_FAILURES=n  failing schedules a shard reports before it stops (default 5)
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "schedule.hpp"

namespace mosaik::sim {
namespace {

#if defined(__SANITIZE_ADDRESS__)
// Sanitized builds run ~60x slower: a tenth of the schedules keeps the asan preset's CI short.
constexpr std::uint64_t kDefaultSchedules = 200;
#else
constexpr std::uint64_t kDefaultSchedules = 2000;
#endif
constexpr std::uint64_t kShards = 8;

std::optional<std::uint64_t> env_u64(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::strtoull(v, nullptr, 10);
}

void expect_clean(const ScheduleResult& r) {
  if (r.violations.empty()) return;
  std::string all;
  for (const auto& v : r.violations) all += "\n  " + v;
  ADD_FAILURE() << fmt::format("schedule failed; replay with SIM_SEED={}\n  {}{}", r.seed, r.description, all);
}

void run_shard(std::uint64_t shard) {
  if (env_u64("SIM_SEED")) GTEST_SKIP() << "SIM_SEED set: only the replay test runs";
  const std::uint64_t base = env_u64("SIM_SEED_BASE").value_or(0x5EED0000);
  const std::uint64_t total = env_u64("SIM_SCHEDULES").value_or(kDefaultSchedules);
  const std::uint64_t per_shard = (total + kShards - 1) / kShards;
  const std::uint64_t max_failures = env_u64("SIM_MAX_FAILURES").value_or(5);
  std::size_t ops = 0, committed = 0, unknown = 0, ok = 0, failed = 0, faults = 0, elections_max = 0, replayed = 0;
  std::uint64_t steps_max = 0, term_max = 0, failed_seeds = 0;
  double sim_seconds = 0, failed_fraction_max = 0;
  const auto started = std::chrono::steady_clock::now();
  for (std::uint64_t k = 0; k < per_shard; ++k) {
    const std::uint64_t seed = base + shard * per_shard + k;
    const auto r = run_schedule(seed, {});
    expect_clean(r);
    if (!r.violations.empty() && ++failed_seeds >= max_failures) return;  // enough to go on
    ops += r.ops;
    committed += r.committed;
    unknown += r.ops_unknown;
    ok += r.ops_ok;
    failed += r.ops_failed;
    faults += r.faults;
    replayed += r.replayed_batches;
    sim_seconds += r.sim_seconds;
    steps_max = std::max(steps_max, r.steps);
    term_max = std::max(term_max, r.max_term);
    elections_max = std::max(elections_max, r.elections);
    if (r.ops > 0)
      failed_fraction_max = std::max(failed_fraction_max, double(r.ops_failed + r.ops_unknown) / double(r.ops));
  }
  const auto wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double failed_fraction = ops == 0 ? 0 : double(failed + unknown) / double(ops);
  EXPECT_LE(failed_fraction, LivenessBudget{}.max_failed_fraction)
      << fmt::format("liveness budget: {:.2f} of the shard's operations failed (seeds {}..{})", failed_fraction,
                     base + shard * per_shard, base + (shard + 1) * per_shard - 1);
  fmt::print("shard {}: seeds {}..{}: {} schedules, {} client ops ({} ok, {} failed, {} unknown), {} faults, {} "
             "entries committed, {} batches replayed from members, at most {} elections / term {} / {} steps / {:.2f} ops failed in one schedule, "
             "{:.0f}s simulated in {:.1f}s, {} failing\n",
             shard, base + shard * per_shard, base + (shard + 1) * per_shard - 1, per_shard, ops, ok, failed, unknown,
             faults, committed, replayed, elections_max, term_max, steps_max, failed_fraction_max, sim_seconds, wall, failed_seeds);
}

class Simulation : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(Simulation, randomized_schedules_keep_raft_safe_linearizable_and_live) { run_shard(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Shards, Simulation, ::testing::Range<std::uint64_t>(0, kShards));

TEST(Simulation, replay_seed_from_environment) {
  auto seed = env_u64("SIM_SEED");
  if (!seed) GTEST_SKIP() << "set SIM_SEED=n to replay schedule n";
  const auto r = run_schedule(*seed, {});
  fmt::print("seed {}: {}\n  {} ops ({} ok, {} failed, {} unknown), {} committed, {} faults, {} elections, max term "
             "{}, {} steps, {:.1f}s simulated\n",
             *seed, r.description, r.ops, r.ops_ok, r.ops_failed, r.ops_unknown, r.committed, r.faults, r.elections,
             r.max_term, r.steps, r.sim_seconds);
  expect_clean(r);
}

}  // namespace
}  // namespace mosaik::sim
