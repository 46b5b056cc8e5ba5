// Catch-up from the members (docs/decisions/0412): what a member serves as committed, which
// runs a follower takes, and how the leader hands a far-behind follower over to the fetch.
#include <gtest/gtest.h>

#include <algorithm>

#include "direct.hpp"
#include "harness.hpp"

namespace mosaik::groups::raft {
namespace replay_test {
namespace {

using namespace std::chrono_literals;
using direct::command;
using direct::id;
using direct::msg;

// Tells `core` (a follower of leader 1 in term 2) that the commit is at `commit`.
void heartbeat(direct::OwnedCore& core, Index commit) {
  auto h = msg(MessageType::Heartbeat, id(1), core.id(), Term(2));
  h.commit = commit;
  core.step(h);
  (void)core.take_ready();
}

std::unique_ptr<direct::OwnedCore> follower_with(std::vector<Entry> entries) {
  return direct::restarted(id(3), HardState{Term(2), {}, 0, {}}, std::move(entries));
}

CommittedRun run_after(Cursor prev, std::vector<Entry> entries) {
  return CommittedRun{direct::kIncarnation, prev, std::move(entries)};
}

TEST(Replay, a_member_serves_only_entries_it_committed) {
  auto server = follower_with({command(Term(1), Index(1), 1), command(Term(1), Index(2), 2),
                               command(Term(2), Index(3), 3), command(Term(2), Index(4), 4)});
  heartbeat(*server, Index(3));
  auto run = server->committed_run(direct::kIncarnation, Index(1), 100, SIZE_MAX);
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->entries.size(), 3u) << "served an entry beyond the commit index";
  EXPECT_EQ(run->prev, (Cursor{Term(0), Index(0)}));
  EXPECT_EQ(run->incarnation, direct::kIncarnation);
  EXPECT_FALSE(server->committed_run(direct::kIncarnation, Index(4), 100, SIZE_MAX).has_value());
  auto one = server->committed_run(direct::kIncarnation, Index(3), 1, SIZE_MAX);
  ASSERT_TRUE(one.has_value());
  ASSERT_EQ(one->entries.size(), 1u);
  EXPECT_EQ(one->prev, (Cursor{Term(1), Index(2)}));
  EXPECT_FALSE(server->committed_run(direct::kIncarnation + 1, Index(1), 100, SIZE_MAX).has_value())
      << "served a member of another incarnation";
}

TEST(Replay, a_run_that_links_to_our_log_is_appended_and_committed) {
  auto core = follower_with({command(Term(1), Index(1), 1), command(Term(1), Index(2), 2)});
  auto got = core->accept_committed(run_after({Term(1), Index(2)}, {command(Term(1), Index(3), 3), command(Term(2), Index(4), 4)}));
  ASSERT_TRUE(got.has_value()) << got.error();
  EXPECT_EQ(*got, Index(4));
  EXPECT_EQ(core->commit_index(), Index(4));
  const auto r = core->take_ready();
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.entries.front().index, Index(3));
  ASSERT_EQ(r.committed.size(), 4u);
}

TEST(Replay, a_run_whose_previous_entry_has_another_term_is_refused_and_changes_nothing) {
  auto core = follower_with({command(Term(1), Index(1), 1), command(Term(1), Index(2), 2)});
  auto got = core->accept_committed(run_after({Term(2), Index(2)}, {command(Term(2), Index(3), 3)}));
  ASSERT_FALSE(got.has_value());
  EXPECT_NE(got.error().find("does not link"), std::string::npos) << got.error();
  EXPECT_EQ(core->log().last_index(), Index(2));
  EXPECT_EQ(core->commit_index(), Index(0));
  EXPECT_TRUE(core->take_ready().entries.empty());
}

TEST(Replay, a_run_beyond_the_end_of_our_log_is_refused) {
  auto core = follower_with({command(Term(1), Index(1), 1)});
  auto got = core->accept_committed(run_after({Term(1), Index(2)}, {command(Term(1), Index(3), 3)}));
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(core->log().last_index(), Index(1));
}

TEST(Replay, a_run_of_another_incarnation_is_refused) {
  auto core = follower_with({command(Term(1), Index(1), 1)});
  auto run = run_after({Term(1), Index(1)}, {command(Term(1), Index(2), 2)});
  run.incarnation = direct::kIncarnation + 1;
  EXPECT_FALSE(core->accept_committed(run).has_value());
  EXPECT_EQ(core->log().last_index(), Index(1));
}

TEST(Replay, a_run_of_a_term_beyond_ours_or_out_of_order_is_refused) {
  auto core = follower_with({command(Term(1), Index(1), 1)});
  EXPECT_FALSE(core->accept_committed(run_after({Term(1), Index(1)}, {command(Term(3), Index(2), 2)})).has_value());
  EXPECT_FALSE(core->accept_committed(run_after({Term(1), Index(1)}, {command(Term(1), Index(3), 2)})).has_value());
  EXPECT_FALSE(core->accept_committed(run_after({Term(1), Index(1)}, {})).has_value());
  EXPECT_EQ(core->log().last_index(), Index(1));
}

TEST(Replay, a_run_longer_than_a_message_may_carry_is_refused) {
  auto core = follower_with({command(Term(1), Index(1), 1)});
  std::vector<Entry> many;
  for (std::uint64_t i = 2; i <= kMaxEntriesPerMessage + 2; ++i) many.push_back(command(Term(1), Index(i), 1));
  EXPECT_FALSE(core->accept_committed(run_after({Term(1), Index(1)}, std::move(many))).has_value());
  EXPECT_EQ(core->log().last_index(), Index(1));
}

TEST(Replay, a_run_that_conflicts_with_a_committed_entry_is_refused) {
  auto core = follower_with({command(Term(1), Index(1), 1), command(Term(1), Index(2), 2), command(Term(1), Index(3), 3)});
  heartbeat(*core, Index(2));
  auto got = core->accept_committed(
      run_after({Term(1), Index(1)}, {command(Term(2), Index(2), 20), command(Term(2), Index(3), 30)}));
  ASSERT_FALSE(got.has_value());
  EXPECT_NE(got.error().find("conflicts"), std::string::npos) << got.error();
  EXPECT_EQ(core->log().term_at(Index(3)), Term(1));
}

TEST(Replay, our_uncommitted_entries_that_differ_from_a_run_are_replaced) {
  auto core = follower_with({command(Term(1), Index(1), 1), command(Term(1), Index(2), 2), command(Term(1), Index(3), 3)});
  heartbeat(*core, Index(1));
  auto got = core->accept_committed(
      run_after({Term(1), Index(1)}, {command(Term(2), Index(2), 20), command(Term(2), Index(3), 30),
                                      command(Term(2), Index(4), 40)}));
  ASSERT_TRUE(got.has_value()) << got.error();
  EXPECT_EQ(core->log().last_index(), Index(4));
  EXPECT_EQ(core->log().term_at(Index(2)), Term(2));
  const auto r = core->take_ready();
  ASSERT_EQ(r.entries.size(), 3u);
  EXPECT_EQ(r.entries.front().index, Index(2));
}

TEST(Replay, a_run_the_leader_already_brought_changes_nothing) {
  auto core = follower_with({command(Term(1), Index(1), 1), command(Term(1), Index(2), 2)});
  heartbeat(*core, Index(2));
  auto got = core->accept_committed(run_after({Term(1), Index(1)}, {command(Term(1), Index(2), 2)}));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, Index(2));
}

TEST(Replay, a_leader_takes_no_run) {
  auto core = follower_with({command(Term(1), Index(1), 1)});
  (void)direct::elect(*core, 2s);
  ASSERT_EQ(core->role(), Role::Leader);
  EXPECT_FALSE(core->accept_committed(run_after({Term(1), Index(1)}, {command(Term(1), Index(2), 2)})).has_value());
}

// ---- the leader's side, three cores in the harness

constexpr std::size_t kPerAppend = 20;   // entries per Append
constexpr std::size_t kReplayAfter = 50;

struct Lagging {
  test::Harness h;
  NodeId leader, other, late;
  std::size_t entries_sent_to_late = 0;
};

// A group of three whose member `late` was cut off while 300 commands committed; then healed.
void setup(Lagging& g) {
  auto& h = g.h;
  h.tune = [](CoreOptions& o) {
    o.max_entries_per_append = kPerAppend;
    o.replay_after = kReplayAfter;
    o.replay_timeout = 1s;
  };
  std::vector<NodeId> ids;
  for (std::uint64_t n = 1; n <= 3; ++n) ids.push_back(h.add(n, test::fast_config(3)));
  h.bond_all();
  h.run_for(2s);
  ASSERT_TRUE(h.leader().has_value());
  g.leader = *h.leader();
  std::vector<NodeId> followers;
  for (const auto& i : ids)
    if (i != g.leader) followers.push_back(i);
  g.other = followers[0];
  g.late = followers[1];
  h.isolate(g.late);
  std::vector<Bytes> commands;
  for (int i = 0; i < 300; ++i) commands.emplace_back(Bytes{static_cast<std::uint8_t>(i)});
  h.core(g.leader).propose(1, std::move(commands));
  h.drain(g.leader);
  h.run_for(300ms);
  ASSERT_GE(h.core(g.other).commit_index().value, 300u);
  h.drop = [&g](const Message& m) {
    if (m.to == g.late && m.message_type() == MessageType::Append) g.entries_sent_to_late += m.entries.size();
    return false;
  };
  h.heal();
}

std::optional<ReplayRequest> replay_asked(const test::Harness::Node& n) {
  for (const auto& r : n.readies)
    if (r.replay) return r.replay;
  return std::nullopt;
}

// Serves `late` the committed entries [from, target] from `server`, as a shell would.
void fetch(Lagging& g, const NodeId& server, Index from, Index target) {
  for (Index at = from; at <= target;) {
    auto run = g.h.core(server).committed_run(g.h.core(g.late).incarnation(), at, 64, SIZE_MAX);
    ASSERT_TRUE(run.has_value());
    auto got = g.h.core(g.late).accept_committed(*run);
    ASSERT_TRUE(got.has_value()) << got.error();
    at = got->next();
    g.h.drain(g.late);
  }
}

TEST(Replay, a_follower_far_behind_is_told_to_replay_and_the_leader_sends_only_what_is_left) {
  Lagging g;
  setup(g);
  g.h.run_for(300ms);
  const auto asked = replay_asked(g.h.nodes.at(g.late));
  ASSERT_TRUE(asked.has_value()) << "the leader sent the whole log instead";
  EXPECT_EQ(asked->leader, g.leader);
  EXPECT_GE(asked->target.value, 300u);
  EXPECT_LE(g.entries_sent_to_late, 2 * kPerAppend) << "the leader kept sending while the follower replays";

  fetch(g, g.other, asked->from, asked->target);
  g.h.core(g.late).replay_done(true);
  g.h.drain(g.late);
  g.h.core(g.leader).propose(2, {Bytes{7}});
  g.h.drain(g.leader);
  g.h.run_for(500ms);
  EXPECT_EQ(g.h.core(g.late).commit_index(), g.h.core(g.leader).commit_index());
  EXPECT_EQ(g.h.nodes.at(g.late).applied, g.h.nodes.at(g.leader).applied);
  EXPECT_LE(g.entries_sent_to_late, 3 * kPerAppend) << "the leader sent what the fetch brought";
}

TEST(Replay, a_fetch_that_fails_makes_the_leader_send_the_entries) {
  Lagging g;
  setup(g);
  g.h.run_for(300ms);
  ASSERT_TRUE(replay_asked(g.h.nodes.at(g.late)).has_value());
  g.h.core(g.late).replay_done(false);
  g.h.drain(g.late);
  g.h.run_for(1s);
  EXPECT_EQ(g.h.core(g.late).commit_index(), g.h.core(g.leader).commit_index());
  EXPECT_EQ(g.h.nodes.at(g.late).applied, g.h.nodes.at(g.leader).applied);
}

TEST(Replay, a_replay_that_reports_nothing_within_its_timeout_is_sent_entries_again) {
  Lagging g;
  setup(g);
  g.h.run_for(300ms);
  ASSERT_TRUE(replay_asked(g.h.nodes.at(g.late)).has_value());
  const auto before = g.entries_sent_to_late;
  g.h.run_for(500ms);
  EXPECT_EQ(g.entries_sent_to_late, before) << "appends before replay_timeout";
  g.h.run_for(1s);
  EXPECT_GT(g.entries_sent_to_late, before) << "a silent replay stalls the follower for good";
}

}  // namespace
}  // namespace replay_test
}  // namespace mosaik::groups::raft
