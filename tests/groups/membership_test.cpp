// Membership rules that keep a group live after members left or went silent (decision 0402),
// each from a schedule the simulator's soak found stuck.
#include <algorithm>

#include <gtest/gtest.h>

#include "direct.hpp"
#include "groups/raft/membership_codec.hpp"
#include "harness.hpp"

namespace mosaik::groups::raft {
namespace {

using namespace std::chrono_literals;
using direct::id;

Membership sorted(std::vector<NodeId> voters, std::vector<NodeId> learners) {
  std::sort(voters.begin(), voters.end());
  std::sort(learners.begin(), learners.end());
  return Membership{std::move(voters), std::move(learners)};
}

Entry membership_entry(Term term, Index index, const Membership& m) {
  return Entry{term, index, static_cast<std::uint8_t>(EntryKind::Membership), encode_membership(m)};
}

DurableState disk(Term term, std::vector<Entry> entries) {
  return DurableState{HardState{term, std::nullopt, direct::kIncarnation, {}}, {}, std::move(entries)};
}

// SIM_SEED=1593336653: voter c departed for good. Learner d holds the newest log (a leader of
// term 3 reached it, then left); voter a holds an older, uncommitted promotion of d, so a
// counts d as a voter and d refuses it; voter b is behind a. Only d can gather a quorum of
// voters, so d must be allowed to campaign although it is a learner.
TEST(Membership, a_learner_holding_the_newest_log_is_elected_by_the_voters_and_promotes_itself) {
  test::Harness h;
  const auto a = id(1), b = id(2), c = id(3), d = id(4);
  const auto first = sorted({a, b, c}, {d});
  const auto promoted = sorted({a, b, c, d}, {});
  const auto genesis = membership_entry(Term(1), Index(1), first);
  h.add(1, test::fast_config(3), LeadershipPreference::normal(),
        disk(Term(2), {genesis, membership_entry(Term(2), Index(2), promoted)}));
  h.add(2, test::fast_config(3), LeadershipPreference::normal(), disk(Term(2), {genesis}));
  h.add(4, test::fast_config(3), LeadershipPreference::normal(),
        disk(Term(3), {genesis, Entry{Term(3), Index(2), static_cast<std::uint8_t>(EntryKind::Noop), {}}}));
  h.bond_all();
  for (const auto& n : {a, b, d}) h.core(n).peer_departed(c);
  for (int i = 0; i < 100 && !h.leader(); ++i) h.run_for(50ms);
  ASSERT_TRUE(h.leader()) << "no voter can win, and the learner holding the newest log did not campaign";
  EXPECT_EQ(*h.leader(), d);
  h.run_for(3s);
  EXPECT_TRUE(h.core(d).membership().is_voter(d)) << "the leader elected as a learner did not promote itself";
  EXPECT_FALSE(h.core(d).membership().contains(c));
  h.core(d).propose(9, {Bytes{9}});
  h.drain(d);
  h.run_for(1s);
  EXPECT_GE(h.core(a).commit_index(), h.core(d).log().last_index());
}

}  // namespace
}  // namespace mosaik::groups::raft
