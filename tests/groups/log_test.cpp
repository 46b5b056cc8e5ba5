#include <gtest/gtest.h>

#include "groups/raft/config_history.hpp"
#include "groups/raft/log.hpp"

namespace mosaik::groups::raft {
namespace {

RaftLog log_with_terms(std::initializer_list<std::uint64_t> terms) {
  RaftLog log({}, {});
  for (auto t : terms) log.append_new(Term(t), EntryKind::Command, {});
  return log;
}

TEST(RaftLog, term_at_covers_base_and_entries_only) {
  auto log = log_with_terms({1, 1, 2});
  EXPECT_EQ(log.term_at(Index(0)), Term(0));
  EXPECT_EQ(log.term_at(Index(3)), Term(2));
  EXPECT_FALSE(log.term_at(Index(4)).has_value());
  EXPECT_EQ(log.last(), (Cursor{Term(2), Index(3)}));
}

TEST(RaftLog, compaction_keeps_the_term_of_the_new_base) {
  auto log = log_with_terms({1, 2, 3, 3});
  log.compact(Index(2));
  EXPECT_EQ(log.base(), (Cursor{Term(2), Index(2)}));
  EXPECT_EQ(log.term_at(Index(2)), Term(2));
  EXPECT_FALSE(log.term_at(Index(1)).has_value());
  EXPECT_EQ(log.slice(Index(1), Index(4), 10).size(), 2u);
}

TEST(RaftLog, truncation_drops_the_suffix) {
  auto log = log_with_terms({1, 1, 2, 2});
  log.truncate_from(Index(3));
  EXPECT_EQ(log.last_index(), Index(2));
  EXPECT_THROW(log.append(Entry{Term(3), Index(5), 0, {}}), std::logic_error);
}

TEST(RaftLog, up_to_date_compares_last_term_then_length) {
  auto log = log_with_terms({1, 2});
  EXPECT_TRUE(log.is_up_to_date({Term(3), Index(1)}));
  EXPECT_TRUE(log.is_up_to_date({Term(2), Index(2)}));
  EXPECT_FALSE(log.is_up_to_date({Term(2), Index(1)}));
  EXPECT_FALSE(log.is_up_to_date({Term(1), Index(9)}));
}

TEST(RaftLog, conflict_hint_skips_a_whole_divergent_term) {
  auto log = log_with_terms({1, 1, 4, 4, 4});
  EXPECT_EQ(log.find_conflict_by_term(Index(5), Term(2)), Index(2));
  EXPECT_EQ(log.find_conflict_by_term(Index(9), Term(4)), Index(5));
}

TEST(ConfigHistory, truncation_reverts_a_membership_and_compaction_folds_it) {
  const auto a = NodeId::from_u64(1), b = NodeId::from_u64(2);
  ConfigHistory h(Membership{{a}, {}});
  h.record(Index(5), Membership{{a}, {b}});
  EXPECT_TRUE(h.current().is_learner(b));
  h.truncate_from(Index(5));
  EXPECT_FALSE(h.current().contains(b));
  h.record(Index(6), Membership{{a}, {b}});
  h.compact(Index(7));
  EXPECT_TRUE(h.current().is_learner(b));
  EXPECT_EQ(h.last_change(), Index(0));
}

}  // namespace
}  // namespace mosaik::groups::raft
