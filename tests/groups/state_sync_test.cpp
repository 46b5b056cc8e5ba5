// A state sync that replaces the log, and the durability of what follows it.
#include <gtest/gtest.h>

#include "direct.hpp"

namespace mosaik::groups::raft {
namespace state_sync_test {
namespace {

using direct::command;
using direct::id;
using direct::msg;

// Regression (issue 19, SIM_SEED=805368337): the sync dropped the log, but the core still
// believed entries up to the old end were on disk and never handed out their replacements.
TEST(StateSync, entries_appended_after_a_sync_that_replaced_the_log_are_handed_out_to_persist) {
  const auto leader = id(1), self = id(3);
  auto core = direct::restarted(self, HardState{Term(1), {}, 0, {}},
                                {command(Term(1), Index(1), 1), command(Term(1), Index(2), 2),
                                 command(Term(1), Index(3), 3)});
  (void)core->take_ready();

  auto sync = msg(MessageType::StateSync, leader, self, Term(2));
  sync.index = Index(2);
  sync.log_term = Term(2);  // our entry 2 has term 1: the stored log cannot be kept
  sync.membership = direct::three_voters();
  core->step(sync);
  const auto asked = core->take_ready();
  ASSERT_TRUE(asked.state_sync.has_value());
  core->state_synced(asked.state_sync->point);
  const auto synced = core->take_ready();
  ASSERT_TRUE(synced.snapshot.has_value());
  EXPECT_EQ(core->log().last_index(), Index(2));

  auto append = msg(MessageType::Append, leader, self, Term(2));
  append.index = Index(2);
  append.log_term = Term(2);
  append.entries = {command(Term(2), Index(3), 30), command(Term(2), Index(4), 40)};
  core->step(append);
  const auto r = core->take_ready();
  ASSERT_EQ(r.entries.size(), 2u) << "entries after the sync point were never handed out to persist";
  EXPECT_EQ(r.entries.front().index, Index(3));
  EXPECT_EQ(r.entries.front().term, Term(2));
  EXPECT_EQ(r.entries.back().index, Index(4));
}

// The InstallSnapshot rule's other branch: the stored entry at the point matches, so the
// entries after it stay on disk and need not be handed out again.
TEST(StateSync, a_sync_at_a_matching_entry_keeps_the_stored_suffix_without_rewriting_it) {
  const auto leader = id(1), self = id(3);
  auto core = direct::restarted(self, HardState{Term(2), {}, 0, {}},
                                {command(Term(1), Index(1), 1), command(Term(2), Index(2), 2),
                                 command(Term(2), Index(3), 3)});
  (void)core->take_ready();
  auto sync = msg(MessageType::StateSync, leader, self, Term(2));
  sync.index = Index(2);
  sync.log_term = Term(2);
  sync.membership = direct::three_voters();
  core->step(sync);
  const auto asked = core->take_ready();
  ASSERT_TRUE(asked.state_sync.has_value());
  core->state_synced(asked.state_sync->point);
  const auto r = core->take_ready();
  ASSERT_TRUE(r.snapshot.has_value());
  EXPECT_TRUE(r.entries.empty());
  EXPECT_EQ(core->log().last_index(), Index(3));
}

}  // namespace
}  // namespace state_sync_test
}  // namespace mosaik::groups::raft
