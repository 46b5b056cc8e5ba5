// Protocol claims of the consensus core, each driven through a small in-memory harness.
#include <algorithm>

#include <gtest/gtest.h>

#include "groups/raft/membership_codec.hpp"
#include "harness.hpp"

namespace mosaik::groups::raft {
namespace core_test {
namespace {

using namespace std::chrono_literals;
using test::fast_config;
using test::Harness;

std::vector<NodeId> three_node_group(Harness& h) {
  std::vector<NodeId> ids;
  for (std::uint64_t n = 1; n <= 3; ++n) ids.push_back(h.add(n, fast_config(3)));
  h.bond_all();
  h.run_for(2s);
  return ids;
}

bool committed(const Harness::Node& n, std::uint64_t request) {
  return std::any_of(n.proposals.begin(), n.proposals.end(), [&](const auto& p) {
    return p.request == request && p.kind == ProposalOutcome::Kind::Committed;
  });
}

TEST(Core, single_node_founds_a_group_after_the_bootstrap_delay_and_commits) {
  Harness h;
  auto a = h.add(1, fast_config(1));
  h.run_for(150ms);
  EXPECT_NE(h.core(a).role(), Role::Leader) << "elected before bootstrap_delay";
  h.run_for(1s);
  ASSERT_EQ(h.core(a).role(), Role::Leader);
  EXPECT_NE(h.core(a).incarnation(), 0u);
  EXPECT_TRUE(h.core(a).membership().is_voter(a));
  h.core(a).propose(7, {Bytes{1, 2, 3}});
  h.drain(a);
  EXPECT_TRUE(committed(h.nodes.at(a), 7));
  EXPECT_EQ(h.nodes.at(a).applied.back().data, (Bytes{1, 2, 3}));
}

TEST(Core, genesis_waits_for_bootstrap_expect_members) {
  Harness h;
  auto a = h.add(1, fast_config(3)), b = h.add(2, fast_config(3)), c = h.add(3, fast_config(3));
  h.core(a).bond_up(b);
  h.core(b).bond_up(a);
  h.run_for(3s);
  EXPECT_FALSE(h.leader().has_value()) << "founded with fewer than bootstrap_expect members";
  h.bond_all();
  h.run_for(3s);
  ASSERT_TRUE(h.leader().has_value());
  EXPECT_EQ(h.core(a).incarnation(), h.core(c).incarnation());
  EXPECT_EQ(h.core(c).membership().voters.size(), 3u);
}

TEST(Core, a_follower_forwards_commands_and_reports_them_committed) {
  Harness h;
  auto ids = three_node_group(h);
  auto leader = h.leader();
  ASSERT_TRUE(leader.has_value());
  const auto follower = *std::find_if(ids.begin(), ids.end(), [&](auto& id) { return id != *leader; });
  h.core(follower).propose(11, {Bytes{9}});
  h.drain(follower);
  h.deliver_all();
  h.run_for(200ms);
  EXPECT_TRUE(committed(h.nodes.at(follower), 11));
  for (auto& id : ids) EXPECT_EQ(h.nodes.at(id).applied.back().data, (Bytes{9}));
}

TEST(Core, a_strong_read_on_a_follower_is_at_or_after_the_last_commit) {
  Harness h;
  auto ids = three_node_group(h);
  auto leader = *h.leader();
  h.core(leader).propose(1, {Bytes{1}});
  h.drain(leader);
  h.deliver_all();
  const auto commit = h.core(leader).commit_index();
  const auto follower = *std::find_if(ids.begin(), ids.end(), [&](auto& id) { return id != leader; });
  h.core(follower).read(5);
  h.drain(follower);
  h.run_for(100ms);
  const auto& reads = h.nodes.at(follower).reads;
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_TRUE(reads[0].ok);
  EXPECT_GE(reads[0].index, commit);
}

TEST(Core, prevote_keeps_a_returning_partitioned_follower_from_disrupting_the_leader) {
  Harness h;
  auto ids = three_node_group(h);
  auto leader = *h.leader();
  const auto term = h.core(leader).term();
  const auto follower = *std::find_if(ids.begin(), ids.end(), [&](auto& id) { return id != leader; });
  h.isolate(follower);
  h.run_for(3s);
  EXPECT_EQ(h.core(follower).term(), term) << "pre-votes must not move terms";
  h.heal();
  h.run_for(1s);
  EXPECT_EQ(h.leader(), leader);
  EXPECT_EQ(h.core(leader).term(), term);
}

TEST(Core, checkquorum_makes_a_cut_off_leader_step_down) {
  Harness h;
  three_node_group(h);
  auto leader = *h.leader();
  h.isolate(leader);
  h.run_for(1s);
  EXPECT_NE(h.core(leader).role(), Role::Leader);
}

TEST(Core, an_observer_never_campaigns) {
  Harness h;
  auto a = h.add(1, fast_config(1), LeadershipPreference::observer());
  h.run_for(5s);
  EXPECT_NE(h.core(a).role(), Role::Leader);
  EXPECT_EQ(h.core(a).incarnation(), 0u);
}

TEST(Core, a_joining_peer_enters_as_learner_and_is_promoted_once_caught_up) {
  Harness h;
  auto ids = three_node_group(h);
  auto leader = *h.leader();
  for (int i = 0; i < 20; ++i) h.core(leader).propose(100 + i, {Bytes{static_cast<std::uint8_t>(i)}});
  h.drain(leader);
  h.deliver_all();
  auto d = h.add(4, fast_config(3));
  h.bond_all();
  for (int i = 0; i < 100 && !h.core(leader).membership().is_voter(d); ++i) h.run_for(20ms);
  // The log shows the two steps: first a membership with d as learner, then as voter.
  std::vector<Membership> changes;
  const auto& log = h.core(leader).log();
  for (auto i = log.first_index(); i <= log.last_index(); i = i.next())
    if (log.at(i).entry_kind() == EntryKind::Membership) changes.push_back(*decode_membership(log.at(i).data));
  ASSERT_GE(changes.size(), 3u);
  EXPECT_TRUE(changes[changes.size() - 2].is_learner(d));
  EXPECT_TRUE(h.core(leader).membership().is_voter(d));
  EXPECT_EQ(h.core(d).applied_index(), h.core(leader).commit_index());
}

TEST(Core, a_departed_member_is_removed_through_the_log) {
  Harness h;
  auto ids = three_node_group(h);
  auto leader = *h.leader();
  const auto gone = *std::find_if(ids.begin(), ids.end(), [&](auto& id) { return id != leader; });
  h.isolate(gone);
  for (auto& id : ids)
    if (id != gone) h.core(id).peer_departed(gone);
  h.run_for(500ms);
  for (auto& id : ids) {
    if (id != gone) {
      EXPECT_FALSE(h.core(id).membership().contains(gone));
    }
  }
}

TEST(Core, only_an_entry_of_the_current_term_is_committed_by_counting_replicas) {
  // Raft §5.4.2 (figure 8): A restarts holding entry 2 of term 1, which B also acknowledges
  // once A leads term 2. Two of three hold it, yet it is not committed until A's own
  // entry of term 2 is on a majority.
  Harness h;
  const auto a = NodeId::from_u64(1), b = NodeId::from_u64(2), c = NodeId::from_u64(3);
  std::vector<NodeId> voters{a, b, c};
  std::sort(voters.begin(), voters.end());
  const auto incarnation = Core::incarnation_of(voters);
  const Entry genesis{Term(1), Index(1), static_cast<std::uint8_t>(EntryKind::Membership),
                      encode_membership(Membership{voters, {}})};
  const Entry old{Term(1), Index(2), static_cast<std::uint8_t>(EntryKind::Command), Bytes{42}};
  auto disk = [&](std::vector<Entry> entries) {
    return MemoryLogStore(HardState{Term(1), std::nullopt, incarnation, {}}, {}, std::move(entries));
  };
  h.add(1, fast_config(3), LeadershipPreference::normal(), disk({genesis, old}));
  h.add(2, fast_config(3), LeadershipPreference::observer(), disk({genesis}));
  h.add(3, fast_config(3), LeadershipPreference::observer(), disk({genesis}));
  h.bond_all();
  h.drop = [&](const Message& m) { return m.from == a && m.message_type() == MessageType::Append; };
  for (int i = 0; i < 200 && h.core(a).role() != Role::Leader; ++i) h.run_for(10ms);
  ASSERT_EQ(h.core(a).role(), Role::Leader);
  ASSERT_EQ(h.core(a).term(), Term(2));
  ASSERT_EQ(h.core(a).log().last(), (Cursor{Term(2), Index(3)}));  // its noop
  Message ack;
  ack.type = static_cast<std::uint8_t>(MessageType::AppendResponse);
  ack.incarnation = incarnation;
  ack.from = b;
  ack.to = a;
  ack.term = Term(2);
  ack.index = Index(2);
  h.core(a).step(ack);
  EXPECT_EQ(h.core(a).commit_index(), Index(0)) << "an entry of term 1 was committed by counting replicas";
  ack.index = Index(3);
  h.core(a).step(ack);
  EXPECT_EQ(h.core(a).commit_index(), Index(3));
}

TEST(Core, an_acknowledgement_beyond_the_leaders_log_is_ignored) {
  Harness h;
  auto ids = three_node_group(h);
  auto leader = *h.leader();
  const auto follower = *std::find_if(ids.begin(), ids.end(), [&](auto& id) { return id != leader; });
  Message ack;
  ack.type = static_cast<std::uint8_t>(MessageType::AppendResponse);
  ack.incarnation = h.core(leader).incarnation();
  ack.from = follower;
  ack.to = leader;
  ack.term = h.core(leader).term();
  ack.index = Index(1'000'000);
  const auto before = h.core(leader).ignored_messages();
  const auto commit = h.core(leader).commit_index();
  h.core(leader).step(ack);
  EXPECT_EQ(h.core(leader).ignored_messages(), before + 1);
  EXPECT_EQ(h.core(leader).commit_index(), commit);
}

TEST(Core, a_follower_whose_answer_comes_after_the_quorum_hears_the_commit_without_waiting_for_a_heartbeat) {
  Harness h;
  auto ids = three_node_group(h);
  const auto leader = *h.leader();
  std::vector<NodeId> followers;
  for (auto& id : ids)
    if (id != leader) followers.push_back(id);
  const auto slow = followers[0];
  h.core(leader).propose(21, {Bytes{4}});
  h.drain(leader);
  // The other follower's answer makes the quorum; the slow one's reaches the leader right
  // after the commit, before the leader's next message to it (as on a real link, where it
  // left before that message arrived).
  std::vector<Message> held;
  bool released = false;
  for (int guard = 0; guard < 1000 && !h.wire.empty(); ++guard) {
    Message m = std::move(h.wire.front());
    h.wire.pop_front();
    if (!released && m.from == slow && m.message_type() == MessageType::AppendResponse) {
      held.push_back(std::move(m));
      continue;
    }
    const auto to = m.to;
    h.core(to).step(std::move(m));
    h.drain(to);
    if (!released && !held.empty() && committed(h.nodes.at(leader), 21)) {
      released = true;
      for (auto& r : held) h.wire.push_front(std::move(r));
    }
  }
  ASSERT_TRUE(released);
  // Everything was delivered and no tick ran: no heartbeat round carried the commit.
  EXPECT_EQ(h.core(slow).commit_index(), h.core(leader).commit_index());
}

TEST(Core, a_follower_behind_the_compacted_prefix_is_told_to_state_sync) {
  Harness h;
  auto ids = three_node_group(h);
  auto leader = *h.leader();
  const auto lagging = *std::find_if(ids.begin(), ids.end(), [&](auto& id) { return id != leader; });
  h.isolate(lagging);
  for (int i = 0; i < 10; ++i) h.core(leader).propose(200 + i, {Bytes{1}});
  h.drain(leader);
  h.run_for(200ms);
  const auto applied = h.core(leader).applied_index();
  auto point = h.core(leader).compact(applied);
  ASSERT_TRUE(point.has_value()) << point.error().message;
  EXPECT_EQ(point->cursor.index, applied);
  EXPECT_FALSE(h.core(leader).compact(applied).has_value()) << "compacting twice";
  EXPECT_FALSE(h.core(leader).compact(applied.next().next()).has_value()) << "beyond applied";
  h.heal();
  h.run_for(300ms);
  const auto& readies = h.nodes.at(lagging).readies;
  auto request = std::find_if(readies.begin(), readies.end(), [](const Ready& r) { return r.state_sync.has_value(); });
  ASSERT_NE(request, readies.end());
  EXPECT_EQ(request->state_sync->point.cursor, point->cursor);
  h.core(lagging).state_synced(h.core(leader).applied_point());
  h.drain(lagging);
  h.run_for(300ms);
  EXPECT_EQ(h.core(lagging).commit_index(), h.core(leader).commit_index());
}

}  // namespace
}  // namespace core_test
}  // namespace mosaik::groups::raft
