// Proposals stranded on a node cut off from its group: appended (by this node as leader, or
// by the leader for this follower) but with no way to learn whether they commit. The caller
// must hear "outcome unknown" (Timeout) within forward_timeout once nobody can commit for
// it, instead of waiting for the partition to heal (groups_faults_test found execute() on a
// cut-off leader hanging).
#include <gtest/gtest.h>

#include <algorithm>

#include "harness.hpp"

namespace mosaik::groups::raft {
namespace stranded_proposal_test {
namespace {

using namespace std::chrono_literals;
using test::fast_config;
using test::Harness;

std::vector<ProposalOutcome> outcomes_of(const Harness::Node& n, std::uint64_t request) {
  std::vector<ProposalOutcome> out;
  std::copy_if(n.proposals.begin(), n.proposals.end(), std::back_inserter(out), [&](const ProposalOutcome& p) {
    return p.request == request && p.kind != ProposalOutcome::Kind::Accepted;
  });
  return out;
}

NodeId three_node_leader(Harness& h) {
  for (std::uint64_t n = 1; n <= 3; ++n) h.add(n, fast_config(3));
  h.bond_all();
  h.run_for(2s);
  auto leader = h.leader();
  if (!leader) throw std::logic_error("no leader elected");
  return *leader;
}

TEST(StrandedProposal, a_cut_off_leaders_own_proposal_times_out_after_it_steps_down) {
  Harness h;
  const auto leader = three_node_leader(h);
  const auto config = fast_config(3);
  h.isolate(leader);
  h.core(leader).propose(41, {Bytes{4, 1}});
  h.drain(leader);
  // CheckQuorum steps it down within two election timeouts; forward_timeout later the caller knows.
  h.run_for(2 * config.election_timeout + config.forward_timeout + 50ms);
  EXPECT_NE(h.core(leader).role(), Role::Leader);
  auto outcomes = outcomes_of(h.nodes.at(leader), 41);
  ASSERT_EQ(outcomes.size(), 1u) << "no answer while cut off";
  EXPECT_EQ(outcomes[0].kind, ProposalOutcome::Kind::Failed);
  EXPECT_EQ(outcomes[0].reason, FailReason::Timeout) << "the entry may still commit: outcome unknown";
  // Healed, the group goes on; the request is never answered twice.
  h.heal();
  h.run_for(2s);
  EXPECT_EQ(outcomes_of(h.nodes.at(leader), 41).size(), 1u);
}

TEST(StrandedProposal, a_followers_accepted_forward_times_out_when_it_cannot_learn_the_commit) {
  Harness h;
  const auto leader = three_node_leader(h);
  const auto config = fast_config(3);
  NodeId follower;
  for (const auto& [id, n] : h.nodes)
    if (id != leader) follower = id;
  // It hears the leader's answer to its Forward, then nothing more from anyone.
  h.drop = [&](const Message& m) { return m.to == follower && m.message_type() != MessageType::ForwardResponse; };
  h.core(follower).propose(42, {Bytes{4, 2}});
  h.drain(follower);
  h.deliver_all();
  const auto& proposals = h.nodes.at(follower).proposals;
  ASSERT_TRUE(std::any_of(proposals.begin(), proposals.end(), [](const ProposalOutcome& p) {
    return p.request == 42 && p.kind == ProposalOutcome::Kind::Accepted;
  })) << "the leader did not accept the forward";
  h.run_for(config.forward_timeout + 50ms);
  auto outcomes = outcomes_of(h.nodes.at(follower), 42);
  ASSERT_EQ(outcomes.size(), 1u) << "no answer while it cannot learn the commit";
  EXPECT_EQ(outcomes[0].kind, ProposalOutcome::Kind::Failed);
  EXPECT_EQ(outcomes[0].reason, FailReason::Timeout);
}

TEST(StrandedProposal, a_forward_unanswered_when_another_leader_takes_over_fails_at_once_with_outcome_unknown) {
  Harness h;
  auto config = fast_config(3);
  config.forward_timeout = 30s;  // far beyond the election: only the change of leader may end it
  for (std::uint64_t n = 1; n <= 3; ++n) h.add(n, config);
  h.bond_all();
  h.run_for(2s);
  const auto old_leader = h.leader();
  ASSERT_TRUE(old_leader.has_value());
  NodeId follower;
  for (const auto& [id, n] : h.nodes)
    if (id != *old_leader) follower = id;
  h.isolate(*old_leader);  // our Forward reaches nobody who answers
  h.core(follower).propose(43, {Bytes{4, 3}});
  h.drain(follower);
  h.run_for(4 * config.election_timeout);
  const auto new_leader = h.core(follower).leader();
  ASSERT_TRUE(new_leader.has_value() && *new_leader != *old_leader) << "the other two did not elect a leader";
  auto outcomes = outcomes_of(h.nodes.at(follower), 43);
  ASSERT_EQ(outcomes.size(), 1u) << "still waiting for the former leader's answer";
  EXPECT_EQ(outcomes[0].kind, ProposalOutcome::Kind::Failed);
  EXPECT_EQ(outcomes[0].reason, FailReason::Timeout) << "the former leader may have appended it: outcome unknown";
}

TEST(StrandedProposal, a_connected_leaders_proposals_commit_however_long_it_leads) {
  Harness h;
  const auto leader = three_node_leader(h);
  for (std::uint64_t r = 100; r < 110; ++r) {
    h.core(leader).propose(r, {Bytes{static_cast<std::uint8_t>(r)}});
    h.drain(leader);
    h.run_for(200ms);  // together far beyond forward_timeout
  }
  for (std::uint64_t r = 100; r < 110; ++r) {
    auto outcomes = outcomes_of(h.nodes.at(leader), r);
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_EQ(outcomes[0].kind, ProposalOutcome::Kind::Committed);
  }
}

}  // namespace
}  // namespace stranded_proposal_test
}  // namespace mosaik::groups::raft
