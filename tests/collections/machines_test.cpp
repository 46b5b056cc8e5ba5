// The collections' state machines without a network: per-type semantics (Once keeps the
// first write, compare-exchange, Vec bounds, priority order and eviction), unknown commands
// change nothing, and a snapshot installed elsewhere rebuilds the same state.
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "machine_test_support.hpp"
#include "mosaik/collections/detail/map_machine.hpp"
#include "mosaik/collections/detail/priority_queue_machine.hpp"
#include "mosaik/collections/detail/register_machine.hpp"
#include "mosaik/collections/detail/set_machine.hpp"
#include "mosaik/collections/detail/vec_machine.hpp"
#include "mosaik/primitives/wire.hpp"

namespace mosaik::collections::detail {
namespace machines_test {
namespace {

using Ctx = test::EmptyApplyContext;

// Applies `c` as the group would: encoded, decoded, applied.
template <class M>
void run(M& m, const typename M::Command& c) {
  auto decoded = wire::decode<typename M::Command>(wire::encode(c));
  ASSERT_TRUE(decoded.has_value());
  m.apply(std::move(*decoded), Ctx{});
}

// A fresh machine given `m`'s snapshot ends equal to it, and so does what it publishes; the
// snapshot the core takes (capture_snapshot, encoded later) has the same items.
template <class M>
void expect_snapshot_round_trip(const M& m) {
  M other;
  other.install_snapshot(m.snapshot());
  EXPECT_TRUE(other.state == m.state);
  EXPECT_TRUE(other.published->get() == m.state);
  EXPECT_EQ(*m.capture_snapshot().items(), m.snapshot());
}

// The core captures at a snapshot point and encodes when a member fetches, after the machine
// applied more (0801): the items must be of the state at the capture.
template <class M>
void expect_capture_unchanged_by(M& m, const std::vector<typename M::Command>& later) {
  const auto capture = m.capture_snapshot();
  EXPECT_FALSE(capture.encoded()) << "capture_snapshot() encoded the state at once";
  const auto at_capture = m.snapshot();
  for (const auto& c : later) run(m, c);
  EXPECT_NE(m.snapshot(), at_capture) << "the later commands should change the state";
  EXPECT_EQ(*capture.items(), at_capture);
}

TEST(CollectionsMachines, once_keeps_the_first_write_and_ignores_later_ones) {
  OnceMachine<std::string> m;
  run(m, OnceCommand<std::string>{"genesis"});
  run(m, OnceCommand<std::string>{"overwrite-attempt"});
  EXPECT_EQ(m.state, "genesis");
  EXPECT_EQ(m.published->get(), "genesis");
  expect_snapshot_round_trip(m);
}

TEST(CollectionsMachines, register_compare_exchange_applies_only_when_the_current_value_matches) {
  using C = RegisterCommand<std::string>;
  RegisterMachine<std::string> m;
  run(m, C{C::kCompareExchange, "first", "not-empty"});  // expects a value: mismatch on empty
  EXPECT_FALSE(m.state.has_value());
  run(m, C{C::kCompareExchange, "first", std::nullopt});  // expects empty: matches
  EXPECT_EQ(m.state, "first");
  run(m, C{C::kCompareExchange, "second", "stale"});
  EXPECT_EQ(m.state, "first");
  run(m, C{C::kWrite, "third", std::nullopt});
  run(m, C{C::kCompareExchange, std::nullopt, "third"});  // nullopt new value clears
  EXPECT_FALSE(m.state.has_value());
  run(m, C{C::kWrite, "kept", std::nullopt});
  expect_snapshot_round_trip(m);
  run(m, C{C::kClear, std::nullopt, std::nullopt});
  EXPECT_FALSE(m.published->get().has_value());
  expect_snapshot_round_trip(m);
}

TEST(CollectionsMachines, map_compare_exchange_inserts_updates_removes_and_ignores_mismatches) {
  MapMachine<std::string, int> m;
  auto cas = test::map_compare_exchange<std::string, int>;
  run(m, cas("a", std::nullopt, 1));  // insert
  run(m, cas("a", std::nullopt, 2));  // must be absent: mismatch
  EXPECT_EQ(*m.state.find("a"), 1);
  run(m, cas("a", 1, 3));  // update
  run(m, cas("a", 1, 4));  // stale: mismatch
  EXPECT_EQ(*m.state.find("a"), 3);
  run(m, cas("b", 1, 5));  // absent but expected a value: mismatch
  EXPECT_FALSE(m.state.contains("b"));
  expect_snapshot_round_trip(m);
  run(m, cas("a", 3, std::nullopt));  // remove
  EXPECT_TRUE(m.state.empty());
}

TEST(CollectionsMachines, vec_mutations_past_the_end_change_nothing) {
  using C = VecCommand<int>;
  VecMachine<int> m;
  run(m, C{C::kPushBack, {1, 2, 3}, 0, 0});
  const auto before = m.state;
  run(m, C{C::kInsert, {9}, 4, 0});  // 4 > len: refused (len itself would append)
  run(m, C{C::kRemove, {}, 3, 0});
  run(m, C{C::kSwap, {}, 0, 3});
  EXPECT_TRUE(m.state == before);
  run(m, C{C::kInsert, {9}, 3, 0});  // at len: appends
  run(m, C{C::kSwap, {}, 0, 3});
  run(m, C{C::kPushFront, {0}, 0, 0});
  EXPECT_EQ(std::vector<int>(m.state.begin(), m.state.end()), (std::vector<int>{0, 9, 2, 3, 1}));
  expect_snapshot_round_trip(m);
  run(m, C{C::kTruncate, {}, 2, 0});
  run(m, C{C::kPopFront, {}, 0, 0});
  EXPECT_EQ(std::vector<int>(m.state.begin(), m.state.end()), (std::vector<int>{9}));
  run(m, C{C::kPopBack, {}, 0, 0});
  run(m, C{C::kPopBack, {}, 0, 0});  // empty: nothing to pop
  EXPECT_TRUE(m.state.empty());
}

TEST(CollectionsMachines, set_insert_is_idempotent_and_snapshots_in_order) {
  using C = SetCommand<std::string>;
  SetMachine<std::string> m;
  run(m, C{C::kInsert, {"b", "a", "b"}});
  run(m, C{C::kInsert, {"a"}});
  EXPECT_EQ(m.state.size(), 2u);
  const auto items = m.snapshot();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(wire::decode<std::string>(items[0].key).value(), "a");
  expect_snapshot_round_trip(m);
  run(m, C{C::kRemove, {"a"}});
  EXPECT_FALSE(m.state.contains("a"));
}

using Depq = DepqMachine<int, std::string, std::string>;
using DC = Depq::Command;

DC insert(int p, std::string k, std::string v) {
  DC c;
  c.op = DC::kInsert;
  c.entries.emplace_back(p, std::move(k), std::move(v));
  return c;
}

TEST(CollectionsMachines, priority_queue_orders_by_priority_then_key_and_ranges_remove_as_bounded) {
  Depq m;
  run(m, insert(5, "b", "x"));
  run(m, insert(5, "a", "y"));
  run(m, insert(1, "c", "z"));
  run(m, insert(9, "d", "w"));
  EXPECT_EQ(std::get<1>(*m.state.min()), "c");
  EXPECT_EQ(std::get<1>(*m.state.max()), "d");
  DC up;
  up.op = DC::kUpdatePriority;
  up.key = "c";
  up.priority = 7;
  run(m, up);
  EXPECT_EQ(std::get<1>(*m.state.min()), "a");  // ties at 5: the smaller key first
  DC cas;
  cas.op = DC::kCompareExchangeValue;
  cas.key = "a";
  cas.value = "stale";
  cas.desired = "new";
  run(m, cas);
  EXPECT_EQ(m.state.find("a")->second, "y");
  cas.value = "y";
  run(m, cas);
  EXPECT_EQ(m.state.find("a")->second, "new");
  EXPECT_EQ(m.state.find("a")->first, 5);  // the priority is kept
  expect_snapshot_round_trip(m);
  DC range;  // [5, 7): a and b go, c (7) and d (9) stay
  range.op = DC::kRemoveRange;
  range.lo_kind = 1;
  range.lo = 5;
  range.hi_kind = 2;
  range.hi = 7;
  run(m, range);
  EXPECT_EQ(m.state.size(), 2u);
  EXPECT_TRUE(m.state.contains("c") && m.state.contains("d"));
  range.lo_kind = 0;  // ..=7
  range.hi_kind = 1;
  run(m, range);
  EXPECT_EQ(m.state.size(), 1u);
  EXPECT_TRUE(m.state.contains("d"));
}

TEST(CollectionsMachines, a_bounded_priority_queue_evicts_the_lowest_priorities) {
  Depq m;
  m.capacity = 3;
  for (int p : {4, 8, 1, 6, 2}) run(m, insert(p, "k" + std::to_string(p), "v"));
  ASSERT_EQ(m.state.size(), 3u);
  EXPECT_EQ(std::get<0>(*m.state.min()), 4);
  EXPECT_EQ(std::get<0>(*m.state.max()), 8);
  DC batch;  // a batch past the capacity keeps its highest
  batch.op = DC::kInsert;
  for (int p : {10, 3, 12}) batch.entries.emplace_back(p, "b" + std::to_string(p), "v");
  run(m, batch);
  EXPECT_EQ(m.state.size(), 3u);
  EXPECT_EQ(std::get<0>(*m.state.min()), 8);
}

TEST(CollectionsMachines, a_snapshot_captured_before_later_writes_encodes_the_state_it_captured) {
  using MC = MapCommand<std::string, int>;
  MapMachine<std::string, int> map;
  MC fill;
  for (int i = 0; i < 100; ++i) fill.entries.emplace_back("k" + std::to_string(i), i);
  run(map, fill);
  MC overwrite;
  overwrite.entries.emplace_back("k1", -1);
  MC remove;
  remove.op = MC::kRemove;
  remove.key = "k2";
  MC clear;
  clear.op = MC::kClear;
  expect_capture_unchanged_by(map, {overwrite, remove});
  expect_capture_unchanged_by(map, {clear});

  using VC = VecCommand<int>;
  VecMachine<int> vec;
  run(vec, VC{VC::kPushBack, {1, 2, 3, 4}, 0, 0});
  expect_capture_unchanged_by(vec, {VC{VC::kSwap, {}, 0, 3}, VC{VC::kPopFront, {}, 0, 0}, VC{VC::kPushBack, {5}, 0, 0}});

  using SC = SetCommand<std::string>;
  SetMachine<std::string> set;
  run(set, SC{SC::kInsert, {"a", "b"}});
  expect_capture_unchanged_by(set, {SC{SC::kRemove, {"a"}}, SC{SC::kInsert, {"c"}}});

  Depq depq;
  run(depq, insert(5, "a", "x"));
  DC up;
  up.op = DC::kUpdatePriority;
  up.key = "a";
  up.priority = 9;
  expect_capture_unchanged_by(depq, {up, insert(1, "b", "y")});

  using RC = RegisterCommand<std::string>;
  RegisterMachine<std::string> reg;
  run(reg, RC{RC::kWrite, "first", std::nullopt});
  expect_capture_unchanged_by(reg, {RC{RC::kWrite, "second", std::nullopt}});
}

TEST(CollectionsMachines, unknown_operations_change_nothing) {
  MapMachine<std::string, int> m;
  MapCommand<std::string, int> c;
  c.op = 200;
  c.entries.emplace_back("a", 1);
  run(m, c);
  EXPECT_TRUE(m.state.empty());
}

}  // namespace
}  // namespace machines_test
}  // namespace mosaik::collections::detail
