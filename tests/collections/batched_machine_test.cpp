// The machine a collection's group runs (0802): one log entry carries a batch of mutations,
// applied in order, and a committed run of such entries applies them all in log order, so
// every replica that applies the same entries, however the core groups them, ends equal.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "machine_test_support.hpp"
#include "mosaik/collections/detail/batched.hpp"
#include "mosaik/collections/detail/map_machine.hpp"
#include "mosaik/primitives/wire.hpp"

namespace mosaik::collections::detail {
namespace batched_machine_test {
namespace {

using Mutation = MapCommand<std::string, int>;
using Machine = Batched<MapMachine<std::string, int>>;

using Ctx = test::EmptyApplyContext;

Mutation insert(std::string k, int v) {
  Mutation m;
  m.entries.emplace_back(std::move(k), v);
  return m;
}
constexpr auto compare_exchange = test::map_compare_exchange<std::string, int>;

// An entry as the group stores it: encoded, then decoded on each member.
Machine::Command through_the_log(const Machine::Command& entry) {
  auto decoded = wire::decode<Machine::Command>(wire::encode(entry));
  EXPECT_TRUE(decoded.has_value());
  return decoded ? std::move(*decoded) : Machine::Command{};
}

TEST(BatchedMachine, one_entry_applies_its_mutations_in_order) {
  Machine m;
  // Each compare-exchange matches only if the mutation before it applied first.
  m.apply(through_the_log({insert("a", 1), compare_exchange("a", 1, 2), compare_exchange("a", 2, 3)}), Ctx{});
  ASSERT_NE(m.state.find("a"), nullptr);
  EXPECT_EQ(*m.state.find("a"), 3);
  EXPECT_TRUE(m.published->get() == m.state);
}

TEST(BatchedMachine, a_run_of_entries_applies_like_each_entry_alone) {
  const std::vector<Machine::Command> entries = {
      {insert("a", 1), insert("b", 1)},
      {compare_exchange("a", 1, 2), compare_exchange("b", 7, 9)},  // the second mismatches
      {},                                                          // an empty entry changes nothing
      {compare_exchange("a", 2, std::nullopt), insert("c", 4)},
  };
  Machine run_at_once;
  std::vector<Machine::Command> decoded;
  for (const auto& e : entries) decoded.push_back(through_the_log(e));
  run_at_once.apply_batch(std::move(decoded), Ctx{});
  Machine one_by_one;
  for (const auto& e : entries) one_by_one.apply(through_the_log(e), Ctx{});

  EXPECT_TRUE(run_at_once.state == one_by_one.state);
  EXPECT_TRUE(run_at_once.published->get() == run_at_once.state);
  EXPECT_FALSE(run_at_once.state.contains("a"));  // inserted, exchanged, removed: in order
  ASSERT_NE(run_at_once.state.find("b"), nullptr);
  EXPECT_EQ(*run_at_once.state.find("b"), 1);
  ASSERT_NE(run_at_once.state.find("c"), nullptr);
  EXPECT_EQ(*run_at_once.state.find("c"), 4);
}

TEST(BatchedMachine, a_single_mutation_is_no_entry_of_this_machine) {
  // A member that proposed one bare mutation (another build) is skipped alike everywhere.
  EXPECT_FALSE(wire::decode<Machine::Command>(wire::encode(insert("a", 1))).has_value());
}

}  // namespace
}  // namespace batched_machine_test
}  // namespace mosaik::collections::detail
