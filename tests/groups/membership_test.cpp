// Membership rules that keep a group live after members left or went silent (decision 0402),
// each from a schedule the simulator's soak found stuck.
#include <algorithm>

#include <gtest/gtest.h>

#include "direct.hpp"
#include "groups/raft/membership_codec.hpp"
#include "harness.hpp"

namespace mosaik::groups::raft {
namespace membership_test {
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

MemoryLogStore disk(Term term, std::vector<Entry> entries) {
  return MemoryLogStore(HardState{term, std::nullopt, direct::kIncarnation, {}}, {}, std::move(entries));
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

// A leader of {1, 2, 3, 4, 5} where 5 lost its identity and 3 is cut off; 2 and 4 answer
// every heartbeat until `four_stops`. Returns the leader's voters once both 3 and 5 have
// been silent past member_timeout (2 s).
std::vector<NodeId> voters_after_silence(Time four_stops) {
  const auto voters = sorted({id(1), id(2), id(3), id(4), id(5)}, {});
  auto leader = direct::restarted(id(1), HardState{Term(1), std::nullopt, 0, {}},
                                  {membership_entry(Term(1), Index(1), voters)});
  for (const auto& p : {id(2), id(3), id(4)}) leader->bond_up(p);
  Time now = 1s;
  auto out = direct::elect(*leader, now);
  const Time leader_since = now;
  for (; now <= leader_since + 2200ms; now += 10ms) {
    for (const auto& m : out) {
      const bool answers = m.to == id(2) || (m.to == id(4) && now < four_stops);
      if (!answers) continue;
      if (m.message_type() == MessageType::Append) {
        auto r = direct::msg(MessageType::AppendResponse, m.to, id(1), m.term);
        r.index = Index(m.index.value + m.entries.size());
        leader->step(r);
      } else if (m.message_type() == MessageType::Heartbeat) {
        auto r = direct::msg(MessageType::HeartbeatResponse, m.to, id(1), m.term);
        r.request = m.request;
        leader->step(r);
      }
    }
    leader->tick(now);
    out = leader->take_ready().messages;
  }
  return leader->membership().voters;
}

// SIM_SEED=1593530860: the leader removed a cut-off voter while another voter had just gone
// silent, leaving a membership whose quorum needed a lost identity. Holding that entry, the
// member with the newest log could never be elected again, even after the cut healed.
TEST(Membership, a_silent_voter_is_removed_only_while_the_rest_can_commit_the_removal) {
  // 4 answers until 1.69 s after the election, which keeps CheckQuorum content up to 2.1 s;
  // from 2.0 s on only 1 and 2 are heard of the four voters that would remain.
  const auto kept = voters_after_silence(Time(1s) + 1690ms);
  EXPECT_EQ(kept.size(), 5u) << "removed a voter although the rest could not commit the removal";
  // While 4 answers, both silent voters are removed as before (decision 0100).
  const auto removed = voters_after_silence(Time(10s));
  EXPECT_EQ(removed.size(), 3u);
}

}  // namespace
}  // namespace membership_test
}  // namespace mosaik::groups::raft

namespace mosaik::groups::raft {
namespace membership_test {
namespace {

// The leader of {1, 2, 3} bonded with 4 (as an observer or not), everyone answering every
// append and heartbeat for a second: the membership it ends with.
Membership membership_after_a_caught_up_learner(bool observer) {
  const auto voters = sorted({id(1), id(2), id(3)}, {});
  auto leader = direct::restarted(id(1), HardState{Term(1), std::nullopt, 0, {}},
                                  {membership_entry(Term(1), Index(1), voters)});
  for (const auto& p : {id(2), id(3)}) leader->bond_up(p);
  leader->bond_up(id(4), observer);
  Time now = 1s;
  auto out = direct::elect(*leader, now);
  for (const Time end = now + 1s; now <= end; now += 10ms) {
    for (const auto& m : out) {
      if (m.message_type() == MessageType::Append) {
        auto r = direct::msg(MessageType::AppendResponse, m.to, id(1), m.term);
        r.index = Index(m.index.value + m.entries.size());
        leader->step(r);
      } else if (m.message_type() == MessageType::Heartbeat) {
        auto r = direct::msg(MessageType::HeartbeatResponse, m.to, id(1), m.term);
        r.request = m.request;
        leader->step(r);
      }
    }
    leader->tick(now);
    out = leader->take_ready().messages;
  }
  return leader->membership();
}

// A collection's reader bonds as an observer (docs/decisions/0800): it is added as a learner
// and replicated to, but however far it catches up it never becomes a voter, so it never
// counts in a quorum. The same member bonded normally is promoted.
TEST(Membership, an_observer_is_added_as_a_learner_and_never_promoted_to_voter) {
  const auto observed = membership_after_a_caught_up_learner(true);
  EXPECT_TRUE(observed.is_learner(id(4)));
  EXPECT_FALSE(observed.is_voter(id(4)));
  const auto normal = membership_after_a_caught_up_learner(false);
  EXPECT_TRUE(normal.is_voter(id(4)));
}

}  // namespace
}  // namespace membership_test
}  // namespace mosaik::groups::raft
