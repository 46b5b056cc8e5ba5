#include <string>

#include <gtest/gtest.h>

#include <mosaik/groups/storage.hpp>

namespace mosaik::groups {
namespace storage_test {
namespace {

static_assert(Storage<InMemoryLogStore<std::string>, std::string>);

TEST(InMemoryLogStore, append_get_range_and_last_follow_the_seed) {
  InMemoryLogStore<std::string> s;
  EXPECT_EQ(s.append("a", Term(1)), Index(1));
  EXPECT_EQ(s.append("b", Term(2)), Index(2));
  EXPECT_EQ(s.available(), (IndexRange{Index(1), Index(2)}));
  EXPECT_EQ(s.get(Index(2))->first, "b");
  EXPECT_FALSE(s.get(Index(3)).has_value());
  EXPECT_EQ(s.get_range({Index(1), Index(2)}).size(), 2u);
  EXPECT_EQ(s.last(), (Cursor{Term(2), Index(2)}));
}

TEST(InMemoryLogStore, prune_prefix_remembers_the_term_it_starts_after) {
  InMemoryLogStore<int> s;
  for (int i = 0; i < 5; ++i) (void)s.append(i, Term(1 + i / 2));
  s.prune_prefix(Index(3));
  EXPECT_EQ(s.available(), (IndexRange{Index(4), Index(5)}));
  EXPECT_EQ(s.term_at(Index(3)), Term(2));
  EXPECT_FALSE(s.get(Index(3)).has_value());
  s.truncate(Index(5));
  EXPECT_EQ(s.last().index, Index(4));
}

TEST(InMemoryLogStore, reset_to_restarts_the_log_after_a_cursor) {
  InMemoryLogStore<int> s;
  (void)s.append(1, Term(1));
  s.reset_to({Term(7), Index(40)});
  EXPECT_TRUE(s.available().empty());
  EXPECT_EQ(s.last(), (Cursor{Term(7), Index(40)}));
  EXPECT_EQ(s.append(2, Term(8)), Index(41));
}

}  // namespace
}  // namespace storage_test
}  // namespace mosaik::groups
