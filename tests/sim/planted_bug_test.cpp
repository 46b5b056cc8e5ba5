// The simulator must be able to fail. This binary links a core built with
// MOSAIK_RAFT_PLANTED_BUG_COMMIT_WITHOUT_QUORUM (the leader commits what it has, without a
// quorum): the checkers have to report it within a bounded number of schedules.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "schedule.hpp"

namespace mosaik::sim {
namespace {

TEST(PlantedBug, commit_without_quorum_is_caught_by_the_simulator) {
  constexpr std::uint64_t kMaxSchedules = 200;
  std::optional<std::uint64_t> caught;
  std::string what;
  for (std::uint64_t seed = 0x8BAD0000; seed < 0x8BAD0000 + kMaxSchedules && !caught; ++seed) {
    const auto r = run_schedule(seed, {});
    if (!r.violations.empty()) {
      caught = seed;
      what = r.violations.front();
    }
  }
  ASSERT_TRUE(caught.has_value()) << "no schedule of " << kMaxSchedules << " caught the planted bug";
  fmt::print("planted bug caught by seed {}: {}\n", *caught, what);
}

}  // namespace
}  // namespace mosaik::sim
