// The checkers themselves: each accepts a correct history and rejects a broken one.
#include <gtest/gtest.h>

#include "linearizability.hpp"
#include "safety_checker.hpp"

namespace mosaik::sim {
namespace checkers_test {
namespace {

using Kind = History::Kind;

TEST(Linearizability, sequential_put_then_get_is_linearizable) {
  History h;
  auto w = h.invoke(0, Kind::Put, 5);
  h.complete(w, 0);
  auto r = h.invoke(0, Kind::Get, 0);
  h.complete(r, 5);
  EXPECT_TRUE(check_linearizable(h).ok);
}

TEST(Linearizability, stale_read_after_completed_write_is_not_linearizable) {
  History h;
  auto w1 = h.invoke(0, Kind::Put, 1);
  h.complete(w1, 0);
  auto w2 = h.invoke(0, Kind::Put, 2);
  h.complete(w2, 0);
  auto r = h.invoke(0, Kind::Get, 0);
  h.complete(r, 1);  // saw the overwritten value
  const auto result = check_linearizable(h);
  EXPECT_FALSE(result.ok);
  EXPECT_FALSE(result.inconclusive);
}

TEST(Linearizability, concurrent_write_may_be_seen_or_not) {
  History h;
  auto w = h.invoke(0, Kind::Put, 7);
  auto r1 = h.invoke(0, Kind::Get, 0);
  h.complete(r1, 7);
  auto r2 = h.invoke(0, Kind::Get, 0);
  h.complete(r2, 7);
  h.complete(w, 0);
  EXPECT_TRUE(check_linearizable(h).ok);
}

TEST(Linearizability, read_going_back_in_time_is_not_linearizable) {
  History h;
  auto w = h.invoke(0, Kind::Put, 7);  // concurrent with both reads
  auto r1 = h.invoke(0, Kind::Get, 0);
  h.complete(r1, 7);
  auto r2 = h.invoke(0, Kind::Get, 0);
  h.complete(r2, 0);  // saw the value vanish again
  h.complete(w, 0);
  EXPECT_FALSE(check_linearizable(h).ok);
}

TEST(Linearizability, unknown_write_may_take_effect_late) {
  History h;
  auto w = h.invoke(1, Kind::Put, 3);  // never returns
  auto r1 = h.invoke(1, Kind::Get, 0);
  h.complete(r1, 0);
  auto r2 = h.invoke(1, Kind::Get, 0);
  h.complete(r2, 3);
  (void)w;
  EXPECT_TRUE(check_linearizable(h).ok);
}

TEST(Linearizability, discarded_write_must_not_be_observed) {
  History h;
  auto w = h.invoke(0, Kind::Put, 9);
  h.discard(w);  // certainly had no effect
  auto r = h.invoke(0, Kind::Get, 0);
  h.complete(r, 9);
  EXPECT_FALSE(check_linearizable(h).ok);
}

TEST(SafetyChecker, different_entries_applied_at_one_index_are_a_violation) {
  SafetyChecker c;
  groups::raft::Entry a{groups::Term(1), groups::Index(1), 0, {1}};
  groups::raft::Entry b{groups::Term(2), groups::Index(1), 0, {2}};
  c.on_apply(0, a, groups::Index(1), groups::Term(1));
  EXPECT_TRUE(c.violations().empty());
  c.on_apply(1, b, groups::Index(1), groups::Term(2));
  EXPECT_EQ(c.violations().size(), 1u);
}

}  // namespace
}  // namespace checkers_test
}  // namespace mosaik::sim
