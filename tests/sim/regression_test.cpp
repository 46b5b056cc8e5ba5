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

// Found by the soak of 1 000 000 schedules (docs/simulator.md), replayed as drawn then.
// A founder waited forever for a second genesis group whose leader departed before anything
// committed there: only a leader's commit index proves a group lives (decision 0402).
TEST(SimulationRegression, a_founder_never_waits_for_a_group_that_committed_nothing_seed_1593279518) {
  expect_clean(run_schedule(1593279518, ScheduleOptions{}));
}

// The leader departed after a membership change; the member holding the newest log was a
// learner in its own membership and no voter could be elected: a learner may campaign.
TEST(SimulationRegression, a_learner_holding_the_newest_log_can_be_elected_seed_1593336653) {
  expect_clean(run_schedule(1593336653, ScheduleOptions{}));
}

// A leader that had just lost its quorum removed a cut-off voter beside two lost identities;
// the removal could never commit and its holders could never be elected again.
TEST(SimulationRegression, a_voter_is_removed_only_while_the_rest_can_commit_it_seed_1593530860) {
  expect_clean(run_schedule(1593530860, ScheduleOptions{}));
}

// Not a core bug: with lagged acknowledgements (decision 0403) a leader's commit enabled by
// its own late persisted() and the membership change of the same tick landed in one Ready,
// and the checker judged the commit against the membership that came after it. The shell now
// handles the acknowledgements' Ready before the tick.
TEST(SimulationRegression, a_commit_enabled_by_a_late_ack_is_judged_by_its_membership_seed_1594612862) {
  expect_clean(run_schedule(1594612862, ScheduleOptions{}));
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
