#include <gtest/gtest.h>

#include "groups/raft/config_history.hpp"
#include "groups/raft/log.hpp"

namespace mosaik::groups::raft {
namespace log_test {
namespace {

// A log over its own store; `persisted` of the entries are on the store, the rest unstable.
struct StoredLog {
  MemoryLogStore store;
  RaftLog log{store};

  void persist_all() {
    store.save({}, {}, log.slice(Index(store.last_index().value + 1), log.last_index(), SIZE_MAX, SIZE_MAX));
    log.stable_to(log.last());
  }
};

std::unique_ptr<StoredLog> log_with_terms(std::initializer_list<std::uint64_t> terms, std::size_t persisted = 0) {
  auto s = std::make_unique<StoredLog>();
  std::size_t n = 0;
  for (auto t : terms) {
    s->log.append_new(Term(t), EntryKind::Command, {});
    if (++n == persisted) s->persist_all();
  }
  return s;
}

TEST(RaftLog, term_at_covers_base_and_entries_only) {
  auto s = log_with_terms({1, 1, 2}, 2);
  auto& log = s->log;
  EXPECT_EQ(log.term_at(Index(0)), Term(0));
  EXPECT_EQ(log.term_at(Index(3)), Term(2));
  EXPECT_FALSE(log.term_at(Index(4)).has_value());
  EXPECT_EQ(log.last(), (Cursor{Term(2), Index(3)}));
}

TEST(RaftLog, compaction_keeps_the_term_of_the_new_base) {
  auto s = log_with_terms({1, 2, 3, 3}, 3);
  auto& log = s->log;
  log.compact(Index(2));
  EXPECT_EQ(log.base(), (Cursor{Term(2), Index(2)}));
  EXPECT_EQ(log.term_at(Index(2)), Term(2));
  EXPECT_FALSE(log.term_at(Index(1)).has_value());
  EXPECT_EQ(log.slice(Index(1), Index(4), 10, SIZE_MAX).size(), 2u);
}

TEST(RaftLog, truncation_drops_the_suffix) {
  auto s = log_with_terms({1, 1, 2, 2});
  auto& log = s->log;
  log.truncate_from(Index(3));
  EXPECT_EQ(log.last_index(), Index(2));
  EXPECT_THROW(log.append(Entry{Term(3), Index(5), 0, {}}), std::logic_error);
}

TEST(RaftLog, up_to_date_compares_last_term_then_length) {
  auto s = log_with_terms({1, 2}, 1);
  auto& log = s->log;
  EXPECT_TRUE(log.is_up_to_date({Term(3), Index(1)}));
  EXPECT_TRUE(log.is_up_to_date({Term(2), Index(2)}));
  EXPECT_FALSE(log.is_up_to_date({Term(2), Index(1)}));
  EXPECT_FALSE(log.is_up_to_date({Term(1), Index(9)}));
}

TEST(RaftLog, conflict_hint_skips_a_whole_divergent_term) {
  auto s = log_with_terms({1, 1, 4, 4, 4}, 4);
  auto& log = s->log;
  EXPECT_EQ(log.find_conflict_by_term(Index(5), Term(2)), Index(2));
  EXPECT_EQ(log.find_conflict_by_term(Index(9), Term(4)), Index(5));
}

TEST(RaftLog, entries_persisted_are_read_from_the_store_and_a_truncation_hides_its_stale_suffix) {
  auto s = log_with_terms({1, 1, 1, 1}, 4);
  auto& log = s->log;
  EXPECT_EQ(log.stable_last(), Index(4));
  // A new leader overwrites 3 and 4: the store keeps the old ones until the next write.
  log.truncate_from(Index(3));
  log.append(Entry{Term(2), Index(3), 0, {}});
  EXPECT_EQ(log.stable_last(), Index(2));
  EXPECT_EQ(log.last(), (Cursor{Term(2), Index(3)}));
  EXPECT_EQ(log.term_at(Index(3)), Term(2));
  EXPECT_EQ(s->store.term(Index(4)), Term(1));
  // A stale report for the old entry 4 changes nothing; the new write does.
  log.stable_to({Term(1), Index(4)});
  EXPECT_EQ(log.stable_last(), Index(2));
  s->store.save({}, {}, log.slice(Index(3), Index(3), 1, SIZE_MAX));
  log.stable_to({Term(2), Index(3)});
  EXPECT_EQ(log.stable_last(), Index(3));
  EXPECT_EQ(s->store.last_index(), Index(3));
  EXPECT_EQ(log.at(Index(3)).term, Term(2));
}

TEST(RaftLog, slices_stop_at_the_byte_bound_but_carry_at_least_one_entry) {
  auto s = std::make_unique<StoredLog>();
  for (int i = 0; i < 6; ++i) s->log.append_new(Term(1), EntryKind::Command, Bytes(1000, 7));
  s->persist_all();
  for (int i = 0; i < 6; ++i) s->log.append_new(Term(1), EntryKind::Command, Bytes(1000, 7));
  const auto per_entry = 1000 + kEntryOverheadBytes;
  // Across the stable part and the unstable tail.
  EXPECT_EQ(s->log.slice(Index(5), Index(12), 100, 4 * per_entry).size(), 4u);
  EXPECT_EQ(s->log.slice(Index(1), Index(12), 100, 3 * per_entry).size(), 3u);
  EXPECT_EQ(s->log.slice(Index(8), Index(12), 100, 1).size(), 1u);
  EXPECT_EQ(s->log.slice(Index(1), Index(12), 100, SIZE_MAX).size(), 12u);
  EXPECT_EQ(s->log.slice(Index(5), Index(12), 3, SIZE_MAX).back().index, Index(7));
}

TEST(MemoryLogStore, a_snapshot_keeps_the_entries_after_a_matching_point_and_drops_a_diverged_log) {
  std::vector<Entry> entries;
  for (std::uint64_t i = 1; i <= 5; ++i) entries.push_back(Entry{Term(1), Index(i), 0, {}});
  MemoryLogStore kept({}, {}, entries);
  kept.save(SnapshotPoint{{Term(1), Index(3)}, {}}, {}, {});
  EXPECT_EQ(kept.base().cursor.index, Index(3));
  EXPECT_EQ(kept.last_index(), Index(5));
  MemoryLogStore dropped({}, {}, entries);
  dropped.save(SnapshotPoint{{Term(2), Index(3)}, {}}, {}, {});
  EXPECT_EQ(dropped.last_index(), Index(3));
  EXPECT_TRUE(dropped.stored().empty());
  EXPECT_THROW(dropped.save({}, {}, std::vector<Entry>{Entry{Term(2), Index(9), 0, {}}}), std::logic_error);
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
}  // namespace log_test
}  // namespace mosaik::groups::raft
