// Genesis: a node holding no entry founds a group only while no existing group has reached it.
#include <gtest/gtest.h>

#include "direct.hpp"

namespace mosaik::groups::raft {
namespace genesis_test {
namespace {

using namespace std::chrono_literals;
using direct::id;

std::unique_ptr<direct::OwnedCore> unbound_node(NodeId self) {
  CoreOptions o;
  o.id = self;
  o.config = direct::config();
  auto state = std::make_shared<std::uint64_t>(5);
  o.random = [state] { return (*state = *state * 6364136223846793005ull + 1442695040888963407ull) >> 11; };
  auto core = std::make_unique<direct::OwnedCore>(std::move(o), MemoryLogStore{}, Time{});
  for (std::uint64_t p = 2; p <= 5; ++p) core->bond_up(id(p));
  return core;
}

bool campaigns(const std::vector<Message>& out) {
  for (const auto& m : out)
    if (m.message_type() == MessageType::Vote || m.message_type() == MessageType::PreVote) return true;
  return false;
}

// Found by the simulator's membership-in-partition script (issue 19, seeds 7003770 and
// 7011018 of a 40 000-schedule run): founders the genesis leader never reached heard the
// group's members, then founded a second incarnation. A leader's commit index proves the group
// lives (decision 0402 narrowed 0400's evidence to it).
TEST(Genesis, an_unbound_node_that_heard_of_a_committed_entry_never_founds_another_group) {
  const auto self = id(1);
  auto core = unbound_node(self);
  (void)core->take_ready();
  auto heartbeat = direct::msg(MessageType::Heartbeat, id(2), self, Term(3));
  heartbeat.commit = Index(1);  // the leader committed the group's first entry
  core->step(heartbeat);
  EXPECT_EQ(core->incarnation(), direct::kIncarnation);
  (void)core->take_ready();
  for (int s = 1; s <= 20; ++s) {
    core->tick(Time(std::chrono::seconds(s)));
    EXPECT_FALSE(campaigns(core->take_ready().messages)) << "founded a group beside an existing one at " << s << "s";
  }
  // Nor does it vote in another genesis.
  std::vector<NodeId> founders{self, id(3), id(4), id(5)};
  std::sort(founders.begin(), founders.end());
  auto genesis = direct::msg(MessageType::Vote, id(3), self, Term(1));
  genesis.incarnation = Core::incarnation_of(founders);
  genesis.voters = founders;
  core->step(genesis);
  EXPECT_EQ(core->incarnation(), direct::kIncarnation);
  for (const auto& m : core->take_ready().messages)
    EXPECT_FALSE(m.message_type() == MessageType::VoteResponse && !m.reject) << "voted in a second genesis";
}

// SIM_SEED=1593279518 (decision 0402): a founder heard the leader of a second genesis, whose
// entry never committed and who then departed. Entries that never committed prove nothing:
// the founder answers the first genesis leader's campaign instead of waiting forever.
TEST(Genesis, an_unbound_node_that_heard_only_uncommitted_entries_answers_another_incarnation) {
  const auto self = id(1);
  auto core = unbound_node(self);
  (void)core->take_ready();
  auto heartbeat = direct::msg(MessageType::Heartbeat, id(2), self, Term(1));
  heartbeat.incarnation = direct::kIncarnation + 2;  // the second genesis
  core->step(heartbeat);                              // commit 0: nothing committed there
  auto pre = direct::msg(MessageType::PreVote, id(3), self, Term(2));
  pre.index = Index(1);  // the first genesis leader holds its incarnation's entry
  pre.log_term = Term(1);
  auto candidate = direct::msg(MessageType::PreVote, id(2), self, Term(2));
  candidate.incarnation = direct::kIncarnation + 2;
  candidate.index = Index(1);  // a member holding entries campaigns: not proof of a commit either
  candidate.log_term = Term(1);
  core->step(candidate);
  (void)core->take_ready();
  core->step(pre);
  EXPECT_EQ(core->incarnation(), direct::kIncarnation);
  bool granted = false;
  for (const auto& m : core->take_ready().messages)
    granted = granted || (m.message_type() == MessageType::PreVoteResponse && !m.reject);
  EXPECT_TRUE(granted) << "waited for a group that never committed an entry";
}

TEST(Genesis, an_unbound_node_that_heard_only_a_genesis_campaign_may_still_found_one) {
  const auto self = id(1);
  auto core = unbound_node(self);
  (void)core->take_ready();
  auto pre = direct::msg(MessageType::Vote, id(2), self, Term(1));  // a genesis candidate: no entries
  std::vector<NodeId> founders{self, id(2), id(3), id(4), id(5)};
  std::sort(founders.begin(), founders.end());
  pre.incarnation = Core::incarnation_of(founders);
  pre.voters = founders;
  core->step(pre);
  (void)core->take_ready();
  bool campaigned = false;
  for (int s = 1; s <= 20 && !campaigned; ++s) {
    core->tick(Time(std::chrono::seconds(s)));
    campaigned = campaigns(core->take_ready().messages);
  }
  EXPECT_TRUE(campaigned) << "a genesis that may have failed must not block the founders forever";
}

}  // namespace
}  // namespace genesis_test
}  // namespace mosaik::groups::raft

namespace mosaik::groups::raft {
namespace genesis_test {
namespace {

// Decision 0400: a node that lost its log, or was started to join, never helps found a group.
TEST(Genesis, a_node_that_only_joins_neither_campaigns_for_nor_votes_in_a_genesis) {
  const auto self = id(1);
  CoreOptions o;
  o.id = self;
  o.config = direct::config();
  o.may_found = false;
  auto state = std::make_shared<std::uint64_t>(5);
  o.random = [state] { return (*state = *state * 6364136223846793005ull + 1442695040888963407ull) >> 11; };
  direct::OwnedCore core(std::move(o), MemoryLogStore{}, Time{});
  for (std::uint64_t p = 2; p <= 5; ++p) core.bond_up(id(p));
  for (int s = 1; s <= 20; ++s) {
    core.tick(Time(std::chrono::seconds(s)));
    EXPECT_FALSE(campaigns(core.take_ready().messages)) << "campaigned for a genesis at " << s << "s";
  }
  std::vector<NodeId> founders{self, id(2), id(3)};
  std::sort(founders.begin(), founders.end());
  auto genesis = direct::msg(MessageType::Vote, id(2), self, Term(1));
  genesis.incarnation = Core::incarnation_of(founders);
  genesis.voters = founders;
  core.step(genesis);
  for (const auto& m : core.take_ready().messages)
    EXPECT_FALSE(m.message_type() == MessageType::VoteResponse && !m.reject) << "voted in a genesis";
  EXPECT_EQ(core.incarnation(), 0u);
  // A leader's Append still brings it into the group.
  auto append = direct::msg(MessageType::Append, id(2), self, Term(2));
  core.step(append);
  EXPECT_EQ(core.incarnation(), direct::kIncarnation);
}

}  // namespace
}  // namespace genesis_test
}  // namespace mosaik::groups::raft
