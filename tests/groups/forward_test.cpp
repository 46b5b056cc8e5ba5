// Forwarded proposals: a follower's batch is appended at most once, and only by the leader
// of the term the follower sent it in; a refusal says whether it is certainly not appended.
#include <gtest/gtest.h>

#include "direct.hpp"

namespace mosaik::groups::raft {
namespace forward_test {
namespace {

using namespace std::chrono_literals;
using direct::command;
using direct::id;
using direct::msg;

Message forward(NodeId from, NodeId to, Term term, std::uint64_t request) {
  auto m = msg(MessageType::Forward, from, to, term);
  m.request = request;
  m.entries = {command(Term(0), Index(0), 7)};
  return m;
}

const Message* response_to(const std::vector<Message>& out, std::uint64_t request) {
  for (const auto& m : out)
    if (m.message_type() == MessageType::ForwardResponse && m.request == request) return &m;
  return nullptr;
}

// Regression (issue 19, SIM_SEED=268437524 with max_entries_per_append=1): the refusal was
// not remembered, and the network's copy of the Forward, arriving once the refuser led, was
// appended and committed after the follower had reported "certainly not appended".
TEST(Forward, a_refused_forward_duplicated_to_the_node_once_it_leads_is_not_appended) {
  const auto self = id(1), follower = id(2);
  auto core = direct::restarted(self, HardState{Term(2), follower, 0, {}}, {command(Term(1), Index(1), 1)});
  (void)core->take_ready();

  core->step(forward(follower, self, Term(2), 7));
  auto out = core->take_ready().messages;
  const auto* refusal = response_to(out, 7);
  ASSERT_NE(refusal, nullptr);
  EXPECT_TRUE(refusal->reject);
  EXPECT_TRUE(refusal->hint.is_zero()) << "we voted for another in term 2: certainly never appended";

  direct::elect(*core, Time(2s));
  ASSERT_EQ(core->role(), Role::Leader);
  const auto last = core->log().last_index();
  core->step(forward(follower, self, Term(2), 7));  // the network's duplicate
  out = core->take_ready().messages;
  EXPECT_EQ(core->log().last_index(), last) << "a refused Forward was appended later";
  const auto* again = response_to(out, 7);
  ASSERT_NE(again, nullptr);
  EXPECT_TRUE(again->reject);
  EXPECT_TRUE(again->hint.is_zero()) << "a duplicate gets the first answer";
}

TEST(Forward, a_forward_of_the_leaders_own_term_is_appended_once_and_a_duplicate_gets_the_same_range) {
  const auto self = id(1), follower = id(2);
  auto core = direct::restarted(self, HardState{Term(2), {}, 0, {}}, {command(Term(1), Index(1), 1)});
  direct::elect(*core, Time(2s));
  ASSERT_EQ(core->role(), Role::Leader);
  core->step(forward(follower, self, core->term(), 8));
  auto out = core->take_ready().messages;
  const auto* ack = response_to(out, 8);
  ASSERT_NE(ack, nullptr);
  ASSERT_FALSE(ack->reject);
  const auto range = std::make_pair(ack->index, ack->hint);
  const auto last = core->log().last_index();
  core->step(forward(follower, self, core->term(), 8));
  out = core->take_ready().messages;
  const auto* dup = response_to(out, 8);
  ASSERT_NE(dup, nullptr);
  EXPECT_FALSE(dup->reject);
  EXPECT_EQ(std::make_pair(dup->index, dup->hint), range);
  EXPECT_EQ(core->log().last_index(), last);
}

// A node that may have led the Forward's term in an earlier life (it voted for itself, and its
// memory of forwards is gone with that life) cannot say "certainly not appended".
TEST(Forward, a_forward_of_an_earlier_term_reaching_a_restarted_leader_is_refused_as_outcome_unknown) {
  const auto self = id(1), follower = id(2);
  auto core = direct::restarted(self, HardState{Term(3), self, 0, {}}, {command(Term(3), Index(1), 1)});
  direct::elect(*core, Time(2s));
  ASSERT_EQ(core->role(), Role::Leader);
  const auto last = core->log().last_index();
  core->step(forward(follower, self, Term(3), 9));  // in flight since our previous life led term 3
  const auto out = core->take_ready().messages;
  EXPECT_EQ(core->log().last_index(), last);
  const auto* refusal = response_to(out, 9);
  ASSERT_NE(refusal, nullptr);
  EXPECT_TRUE(refusal->reject);
  EXPECT_EQ(refusal->hint, Index(1)) << "outcome unknown";
}

TEST(Forward, the_follower_reports_a_refusal_as_certain_or_unknown_as_the_leader_says) {
  const auto leader = id(1), self = id(2);
  for (const auto certain : {true, false}) {
    auto core = direct::restarted(self, HardState{Term(2), {}, 0, {}}, {command(Term(1), Index(1), 1)});
    core->step(msg(MessageType::Heartbeat, leader, self, Term(2)));
    (void)core->take_ready();
    ASSERT_EQ(core->leader(), leader);
    core->propose(5, {Bytes{1}});
    (void)core->take_ready();
    auto refusal = msg(MessageType::ForwardResponse, leader, self, Term(2));
    refusal.request = 5;
    refusal.reject = true;
    refusal.hint = Index(certain ? 0 : 1);
    core->step(refusal);
    const auto r = core->take_ready();
    ASSERT_EQ(r.proposals.size(), 1u);
    EXPECT_EQ(r.proposals[0].kind, ProposalOutcome::Kind::Failed);
    EXPECT_EQ(r.proposals[0].reason, certain ? FailReason::NoLeader : FailReason::Unknown);
  }
}

}  // namespace
}  // namespace forward_test
}  // namespace mosaik::groups::raft
