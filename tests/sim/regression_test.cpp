// Schedules that once broke the unmodified core, replayed exactly as the simulator drew them
// when they were found (classic tuning and faults), so each bug stays caught by its seed.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "schedule.hpp"

namespace mosaik::sim {
namespace {

void expect_clean(const ScheduleResult& r) {
  std::string all;
  for (const auto& v : r.violations) all += "\n  " + v;
  EXPECT_TRUE(r.violations.empty()) << fmt::format("replay with SIM_SEED={}\n  {}{}", r.seed, r.description, all);
}

// Issue 19 bug 1: a state sync replaced the log and later entries were never persisted; the
// restart threw "RaftLog::append: not contiguous".
TEST(SimulationRegression, entries_after_a_state_sync_reach_the_disk_seed_805368337) {
  ScheduleOptions o;
  o.classic_max_entries_per_append = 1024;
  expect_clean(run_schedule(805368337, o));
}

// Issue 19 bug 2: a refused Forward, duplicated by the network, was appended and committed by
// the same node once it led, after the client was told "certainly not appended".
TEST(SimulationRegression, a_refused_forward_is_never_committed_seed_268437524) {
  ScheduleOptions o;
  o.classic_max_entries_per_append = 1;
  expect_clean(run_schedule(268437524, o));
}

}  // namespace
}  // namespace mosaik::sim

namespace mosaik::sim {
namespace {

// A storm or livelock must end as a report naming the seed, not as a ctest timeout.
TEST(SimulationBudget, a_schedule_past_its_step_budget_is_reported_with_its_seed) {
  ScheduleOptions o;
  o.max_steps = 1000;
  const auto r = run_schedule(0x5EED0000, o);
  ASSERT_FALSE(r.violations.empty());
  EXPECT_NE(r.violations.front().find("step budget"), std::string::npos) << r.violations.front();
  EXPECT_EQ(r.seed, 0x5EED0000u);
}

}  // namespace
}  // namespace mosaik::sim
