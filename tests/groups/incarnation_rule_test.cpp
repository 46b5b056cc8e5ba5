// Which incarnation of a GroupId yields when two meet (decision 0407): both sides evaluate
// the rule on the same facts and must come to complementary answers, never both yield nor
// both stay.
#include "groups/meeting/incarnation_rule.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "mosaik/primitives/keys.hpp"

namespace mosaik::groups::detail {
namespace incarnation_rule_test {
namespace {

TEST(IncarnationRule, the_side_with_fewer_voters_yields_and_the_other_stays) {
  const IncarnationFacts three{0x10, 3}, two{0xff, 2};  // the smaller side has the larger id
  EXPECT_TRUE(yields_to(two, three));
  EXPECT_FALSE(yields_to(three, two));
}

TEST(IncarnationRule, equal_voters_are_broken_by_the_incarnation_id_the_same_way_on_both_sides) {
  const IncarnationFacts a{0x1234, 3}, b{0x9876, 3};
  EXPECT_TRUE(yields_to(a, b));
  EXPECT_FALSE(yields_to(b, a));
}

TEST(IncarnationRule, of_two_distinct_incarnations_exactly_one_yields) {
  const std::vector<std::uint64_t> ids = {1, 2, 0x8000000000000000ull, ~0ull};
  for (std::uint64_t va = 1; va <= 5; ++va)
    for (std::uint64_t vb = 1; vb <= 5; ++vb)
      for (auto ia : ids)
        for (auto ib : ids) {
          const IncarnationFacts a{ia, va}, b{ib, vb};
          if (ia == ib) {
            EXPECT_FALSE(yields_to(a, b) || yields_to(b, a))
                << "one incarnation never yields to itself";
          } else {
            EXPECT_NE(yields_to(a, b), yields_to(b, a))
                << ia << "/" << va << " vs " << ib << "/" << vb;
          }
        }
}

TEST(IncarnationRule, a_member_not_bound_to_any_incarnation_neither_yields_nor_is_yielded_to) {
  EXPECT_FALSE(yields_to(IncarnationFacts{0, 1}, IncarnationFacts{7, 5}));
  EXPECT_FALSE(yields_to(IncarnationFacts{7, 1}, IncarnationFacts{0, 5}));
}

const PeerId kLeader = SecretKey::from_seed("leader").public_key();

// A member's report of incarnation `incarnation` with `voters`, under a leader with commits.
discovery::GroupReport live(std::uint64_t incarnation, std::uint64_t voters) {
  return discovery::GroupReport{kLeader, 4, 20, incarnation, voters};
}

TEST(IncarnationRule, a_member_joins_the_greatest_incarnation_it_yields_to_and_ignores_the_rest) {
  const IncarnationFacts own{50, 2};
  const std::vector<discovery::GroupReport> seen = {live(0, 9), live(40, 1), live(60, 3),
                                                    live(30, 4), live(60, 3)};
  const auto winner = incarnation_to_join(own, seen);
  ASSERT_TRUE(winner.has_value());
  EXPECT_EQ(*winner, (IncarnationFacts{30, 4}));  // unbound reports (0) are no rivals
  EXPECT_FALSE(
      incarnation_to_join(IncarnationFacts{50, 5}, seen).has_value());  // the greatest stays
  EXPECT_FALSE(incarnation_to_join(own, {}).has_value());
  EXPECT_FALSE(
      incarnation_to_join(IncarnationFacts{0, 0}, seen).has_value());  // unbound: nothing to leave
}

TEST(IncarnationRule, a_side_counts_as_large_as_the_most_its_members_report) {
  // A follower that has not applied its side's promotion yet sees 2 voters where its leader
  // sees 3: it must judge as its leader does, or it would leave a side that stays.
  const IncarnationFacts lagging{0x90, 2};
  const std::vector<discovery::GroupReport> seen = {live(0x90, 3), live(0x10, 3)};
  EXPECT_FALSE(incarnation_to_join(lagging, seen).has_value());
  EXPECT_TRUE(
      incarnation_to_join(lagging, std::vector<discovery::GroupReport>{live(0x10, 3)}).has_value());
}

TEST(IncarnationRule, a_rival_counts_only_with_a_leader_and_a_commit) {
  const IncarnationFacts own{0x90, 1};
  auto leaderless = live(0x10, 5);
  leaderless.leader.reset();
  auto nothing_committed = live(0x10, 5);
  nothing_committed.commit_index = 0;
  EXPECT_FALSE(incarnation_to_join(own, std::vector{leaderless}).has_value());
  EXPECT_FALSE(incarnation_to_join(own, std::vector{nothing_committed}).has_value());
  EXPECT_TRUE(incarnation_to_join(own, std::vector{live(0x10, 5)}).has_value());
}

}  // namespace
}  // namespace incarnation_rule_test
}  // namespace mosaik::groups::detail
