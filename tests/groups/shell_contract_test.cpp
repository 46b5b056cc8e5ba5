// What the core asks of its shell and promises it: writes and applications count only once
// reported (persisted / applied), one timer is enough (next_deadline), and no message it
// hands out outgrows a frame (byte bounds on appends and proposals).
#include <algorithm>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace mosaik::groups::raft {
namespace shell_contract_test {
namespace {

using namespace std::chrono_literals;
using test::fast_config;
using test::Harness;

CoreOptions options_for(std::uint64_t n, ConsensusConfig config) {
  CoreOptions o;
  o.id = NodeId::from_u64(n);
  o.config = std::move(config);
  auto state = std::make_shared<std::uint64_t>(n);
  o.random = [state] { return (*state = *state * 6364136223846793005ull + 1442695040888963407ull) >> 11; };
  return o;
}

// A single voter leads without ever being acknowledged: take_ready() until it is leader,
// persisting and applying everything, as a synchronous shell would.
void lead_alone(Core& core, MemoryLogStore& store) {
  for (Time now = 0ms; now < 5s && core.role() != Role::Leader; now += 10ms) {
    core.tick(now);
    for (int i = 0; i < 8 && core.has_ready(); ++i) {
      Ready r = core.take_ready();
      store.save(r.snapshot, r.hard_state, r.entries);
      if (!r.entries.empty()) core.persisted({r.entries.back().term, r.entries.back().index});
      if (!r.committed.empty()) core.applied(r.committed.back().index);
    }
  }
}

TEST(ShellContract, a_leader_counts_its_own_entry_toward_a_commit_only_once_reported_persisted) {
  MemoryLogStore store;
  Core core(options_for(1, fast_config(1)), store, Time{});
  lead_alone(core, store);
  ASSERT_EQ(core.role(), Role::Leader);
  const Index before = core.commit_index();
  core.propose(5, {Bytes{9}});
  Ready r = core.take_ready();
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_TRUE(r.committed.empty());
  EXPECT_EQ(core.commit_index(), before) << "committed an entry no disk holds";
  store.save(r.snapshot, r.hard_state, r.entries);
  EXPECT_EQ(core.commit_index(), before) << "the write is not reported yet";
  core.persisted({r.entries.back().term, r.entries.back().index});
  EXPECT_EQ(core.commit_index(), r.entries.back().index);
  r = core.take_ready();
  ASSERT_EQ(r.committed.size(), 1u);
  EXPECT_EQ(r.committed.front().data, Bytes{9});
}

TEST(ShellContract, compaction_waits_for_the_application_to_be_reported) {
  MemoryLogStore store;
  Core core(options_for(1, fast_config(1)), store, Time{});
  lead_alone(core, store);
  core.propose(5, {Bytes{9}});
  Ready r = core.take_ready();
  store.save(r.snapshot, r.hard_state, r.entries);
  core.persisted({r.entries.back().term, r.entries.back().index});
  r = core.take_ready();
  ASSERT_FALSE(r.committed.empty());
  const Index last = r.committed.back().index;
  EXPECT_FALSE(core.compact(last).has_value()) << "compacted what the state machine has not applied";
  EXPECT_LT(core.applied_index(), last);
  core.applied(last);
  EXPECT_EQ(core.applied_index(), last);
  auto point = core.compact(last);
  ASSERT_TRUE(point.has_value());
  store.compact(*point);
  EXPECT_EQ(core.log().base().index, last);
  // Reporting an application of something never handed out is a shell bug, caught at once.
  EXPECT_THROW(core.applied(Index(last.value + 5)), std::logic_error);
}

TEST(ShellContract, a_restarted_member_reads_its_log_and_memberships_back_from_the_store) {
  MemoryLogStore store;
  {
    Core core(options_for(1, fast_config(1)), store, Time{});
    lead_alone(core, store);
    core.propose(5, {Bytes{1}, Bytes{2}});
    Ready r = core.take_ready();
    store.save(r.snapshot, r.hard_state, r.entries);
  }
  Core again(options_for(1, fast_config(1)), store, Time{});
  EXPECT_EQ(again.log().last_index(), store.last_index());
  EXPECT_EQ(again.log().at(store.last_index()).data, Bytes{2});
  EXPECT_TRUE(again.membership().is_voter(NodeId::from_u64(1)));
  EXPECT_EQ(again.term(), store.hard_state().term);
}

TEST(ShellContract, ticking_only_at_next_deadline_elects_and_keeps_a_leader) {
  Harness h;
  std::vector<NodeId> ids;
  for (std::uint64_t n = 1; n <= 3; ++n) ids.push_back(h.add(n, fast_config(3)));
  h.bond_all();
  // Tick each core only when its deadline is due: no polling.
  std::uint64_t ticks = 0;
  for (int round = 0; round < 400; ++round) {
    Time next = Time::max();
    for (auto& [id, n] : h.nodes) next = std::min(next, n.core->next_deadline());
    for (auto& [id, n] : h.nodes)
      ASSERT_GT(n.core->next_deadline(), h.now) << "a deadline in the past was never served: role "
                                                 << static_cast<int>(n.core->role()) << " at " << h.now.count();
    h.now = next;
    for (auto& [id, n] : h.nodes) {
      if (n.core->next_deadline() > h.now) continue;
      n.core->tick(h.now);
      ++ticks;
      h.drain(id);
    }
    // Time passes with every input: the receiver learns the time before the message.
    for (int guard = 0; guard < 10000 && !h.wire.empty(); ++guard) {
      Message m = std::move(h.wire.front());
      h.wire.pop_front();
      auto& to = h.nodes.at(m.to);
      to.core->tick(h.now);
      to.core->step(std::move(m));
      h.drain(to.core->id());
    }
    if (h.now > 3s) break;
  }
  ASSERT_TRUE(h.leader().has_value());
  const auto leader = *h.leader();
  EXPECT_LE(h.core(leader).next_deadline(), h.now + fast_config(3).heartbeat_interval);
  // Followers wait for an election timeout at most; the leader's heartbeats keep them.
  for (const auto& id : ids) {
    if (id == leader) continue;
    EXPECT_EQ(h.core(id).role(), Role::Follower);
    EXPECT_LE(h.core(id).next_deadline(),
              h.now + fast_config(3).election_timeout + fast_config(3).election_timeout_jitter);
  }
  EXPECT_LT(ticks, 400u) << "about one tick per heartbeat, not one per 10 ms";
}

TEST(ShellContract, appends_stay_within_the_byte_bound_and_an_oversized_proposal_is_refused) {
  Harness h;
  std::vector<NodeId> ids;
  for (std::uint64_t n = 1; n <= 3; ++n) ids.push_back(h.add(n, fast_config(3)));
  h.bond_all();
  h.run_for(2s);
  ASSERT_TRUE(h.leader().has_value());
  const auto leader = *h.leader();
  auto& node = h.nodes.at(leader);
  node.readies.clear();
  std::vector<Bytes> big(12, Bytes(300 << 10, 0x5A));  // 3.6 MB in one proposal: a few appends
  h.core(leader).propose(1, std::move(big));
  h.drain(leader);
  h.run_for(1s);
  std::size_t appends = 0;
  for (const auto& r : node.readies)
    for (const auto& m : r.messages) {
      if (m.message_type() != MessageType::Append || m.entries.empty()) continue;
      ++appends;
      std::size_t bytes = 0;
      for (const auto& e : m.entries) bytes += encoded_size(e);
      EXPECT_TRUE(m.entries.size() == 1 || bytes <= CoreOptions{}.max_append_bytes) << bytes << " bytes in one append";
    }
  EXPECT_GE(appends, 2u * 4u) << "3.6 MB should take at least four appends per follower";
  EXPECT_TRUE(std::any_of(node.proposals.begin(), node.proposals.end(), [](const auto& p) {
    return p.request == 1 && p.kind == ProposalOutcome::Kind::Committed;
  }));

  h.core(leader).propose(2, {Bytes(kMaxProposalBytes, 1)});
  h.drain(leader);
  ASSERT_FALSE(node.proposals.empty());
  EXPECT_EQ(node.proposals.back().request, 2u);
  EXPECT_EQ(node.proposals.back().kind, ProposalOutcome::Kind::Failed);
  EXPECT_EQ(node.proposals.back().reason, FailReason::TooLarge);
}

}  // namespace
}  // namespace shell_contract_test
}  // namespace mosaik::groups::raft
