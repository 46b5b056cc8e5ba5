// Two incarnations of one GroupId meet (decision 0407): nodes started apart, three on one
// side and two on the other, each side founds the group and commits puts; then the sides
// are given each other's address. Within a bounded time every member is in the larger
// incarnation under one leader, the smaller side's members were told exactly what their side
// had committed, the larger side lost nothing, and all replicas hold the same state. With
// the smaller side on disk, leaving drops its log there too: a member restarted afterwards
// comes back in the incarnation it joined.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <functional>
#include <vector>

#include "durable_fixture.hpp"
#include "group_fixture.hpp"
#include "kv_machine.hpp"
#include "mosaik/primitives/async/block_on.hpp"
#include "support/co_assert.hpp"
#include "support/temp_dir.hpp"

namespace mosaik::test {
namespace incarnation_meet_net_test {
namespace {

using Clock = std::chrono::steady_clock;
using Members = std::vector<groups::Group<KvStore>>;

const NetworkId kNet = "groups-meet-test";

// Two founders, so that each side of the partition can found the group on its own.
groups::Group<KvStore> join(const Network& node, const groups::GroupKey& key) {
  return node.groups()
      .with_key(key)
      .with_state_machine(KvStore{})
      .with_consensus_config(test_consensus(2))
      .join();
}

struct Side {
  std::vector<Network> nodes;
  Members members;
  std::vector<std::uint64_t> puts;  // acknowledged committed, in order
};

// The group on `nodes` (which know only each other): the first two found it, the rest join
// it, then `puts` values from `first_value` on are committed through every member in turn.
asio::awaitable<Side> found_side(std::vector<Network> nodes, const groups::GroupKey& key,
                                 std::uint64_t first_value, std::size_t puts) {
  Side side;
  side.nodes = std::move(nodes);
  const auto count = side.nodes.size();
  for (std::size_t i = 0; i < count; ++i) {
    side.members.push_back(join(side.nodes[i], key));
    if (i >= 1) (void)co_await agreed_leader(side.members, 15);  // founded, then each one joins
  }
  for (auto& m : side.members)
    (void)co_await timeout_s(15, m.status_watch().wait_until([count](const groups::Status& s) {
      return s.voters == count;  // every joiner promoted: the side's size is settled
    }));
  groups::Index last;
  for (std::size_t v = 0; v < puts; ++v) {
    const KvPut put{static_cast<std::uint8_t>(v % 3), first_value + v};
    auto index = co_await timeout_s(10, side.members[v % count].execute(put));
    if (!index) throw std::runtime_error("a put failed before the sides met");
    side.puts.push_back(put.value);
    last = *index;
  }
  for (auto& m : side.members) (void)co_await timeout_s(10, m.when().committed().reaches(last));
  co_return side;
}

// Nodes keeping their logs in `dirs`, bootstrapped from the first, once they all know each other.
asio::awaitable<std::vector<Network>> durable_nodes(const std::vector<TempDir>& dirs) {
  std::vector<Network> nodes;
  nodes.push_back(co_await durable_node(kNet, dirs[0].path()));
  for (std::size_t i = 1; i < dirs.size(); ++i)
    nodes.push_back(co_await durable_node(kNet, dirs[i].path(), nodes[0].local().addr()));
  for (const auto& n : nodes)
    co_await until_catalog(
        n, [count = dirs.size()](const discovery::Catalog& c) { return c.size() == count - 1; },
        20);
  co_return nodes;
}

// Every value the member has applied, read linearizably.
asio::awaitable<std::vector<std::uint64_t>> applied_through_leader(
    const groups::Group<KvStore>& member) {
  auto view = co_await retrying_offline(
      member, [&] { return member.query(KvQuery{0, true}, groups::Consistency::Strong); });
  if (!view) throw std::runtime_error("strong query failed");
  co_return std::move(view->result.applied);
}

// Gives the sides each other's address and checks what the file comment says; the
// incarnation everyone ends in.
asio::awaitable<std::uint64_t> meet(Side& large, Side& small) {
  const auto large_incarnation = large.members[0].status().incarnation;
  const auto small_incarnation = small.members[0].status().incarnation;
  CO_ASSERT_TRUE(large_incarnation != 0 && small_incarnation != 0 &&
                 large_incarnation != small_incarnation);
  CO_ASSERT_TRUE(large.members[0].id() == small.members[0].id());  // one GroupId, two incarnations

  std::vector<groups::Group<KvStore>::When> small_events;  // made before the meeting: none missed
  for (auto& m : small.members) small_events.push_back(m.when());

  const auto met = Clock::now();
  large.nodes[0].discovery().dial(small.nodes[0].local().addr());
  Members all = large.members;
  all.insert(all.end(), small.members.begin(), small.members.end());
  const auto leader = co_await agreed_leader(all, 30);
  std::printf("one incarnation, one leader, all bonded %.0f ms after the sides met\n",
              std::chrono::duration<double, std::milli>(Clock::now() - met).count());
  bool leader_of_large_side = false;
  for (auto& n : large.nodes)
    leader_of_large_side = leader_of_large_side || n.local().id() == leader;
  EXPECT_TRUE(leader_of_large_side);
  for (auto& m : all) EXPECT_EQ(m.status().incarnation, large_incarnation);

  // Each member of the smaller side heard, once, exactly what its side had committed.
  for (auto& when : small_events) {
    const auto lost = co_await timeout_s(10, when.incarnation_lost());
    EXPECT_EQ(lost.incarnation, small_incarnation);
    EXPECT_EQ(lost.joined, large_incarnation);
    std::vector<std::uint64_t> values;
    for (const auto& put : lost.commands) values.push_back(put.value);
    EXPECT_EQ(values, small.puts);
    EXPECT_TRUE(lost.uncertain.empty());
    EXPECT_TRUE(lost.unlisted_through.is_zero());
    EXPECT_EQ(lost.undecodable, 0u);
  }
  for (auto& m : small.members) EXPECT_EQ(m.incarnations_lost().size(), 1u);
  for (auto& m : large.members)
    EXPECT_TRUE(m.incarnations_lost().empty()) << "the larger side yielded";

  // The larger side lost nothing; a put through a former member of the smaller side commits
  // after it, and every replica holds the same sequence.
  const KvPut after{1, 5000};
  auto index = co_await retrying_offline(small.members[1], [&] { return small.members[1].execute(after); });
  if (!index) {
    throw std::runtime_error(fmt::format("the put after the meeting failed: {}",
                                         index.error().is_offline() ? "offline" : index.error().is_timeout() ? "timeout" : "other"));
  }
  auto expected = large.puts;
  expected.push_back(after.value);
  for (auto& m : all) {
    (void)co_await timeout_s(10, m.when().committed().reaches(*index));
    const auto replica = co_await applied_through_leader(m);
    EXPECT_EQ(replica, expected);
  }
  co_return large_incarnation;
}

TEST(IncarnationsMeet,
     the_smaller_side_rejoins_the_larger_and_its_members_hear_what_their_side_had_committed) {
  block_on([]() -> asio::awaitable<void> {
    const auto key = groups::GroupKey::generate();
    auto large =
        co_await found_side(co_await make_converged_nodes(kNet, 3, fast_discovery), key, 1, 12);
    auto small =
        co_await found_side(co_await make_converged_nodes(kNet, 2, fast_discovery), key, 1001, 7);
    (void)co_await meet(large, small);
  });
}

TEST(IncarnationsMeet,
     a_durable_member_that_yielded_restarts_in_the_incarnation_it_joined_not_with_its_old_log) {
  block_on([]() -> asio::awaitable<void> {
    const auto key = groups::GroupKey::generate();
    std::vector<TempDir> dirs(2);
    auto large =
        co_await found_side(co_await make_converged_nodes(kNet, 3, fast_discovery), key, 1, 12);
    auto small = co_await found_side(co_await durable_nodes(dirs), key, 1001, 7);
    const auto joined = co_await meet(large, small);

    // A durable member only closes its bonds at shutdown (it will be back); its data dir
    // now holds the log of the incarnation it joined, under a new storage epoch.
    const auto id = small.nodes[1].local().id();
    co_await small.nodes[1].shutdown();  // before its handle goes: a handle's leave() would depart
    small.members.pop_back();
    small.nodes.pop_back();
    auto again = co_await durable_node(kNet, dirs[1].path(), large.nodes[0].local().addr());
    CO_ASSERT_TRUE(again.local().id() == id);
    auto member = join(again, key);
    EXPECT_EQ(member.status().incarnation, joined)
        << "it came back with the log of the side it left";
    EXPECT_GT(member.status().log_position, groups::Index(0));
    Members all = large.members;
    all.push_back(small.members[0]);
    all.push_back(member);
    (void)co_await agreed_leader(all, 30);
    EXPECT_TRUE(member.incarnations_lost().empty());  // a new life of the node: nothing left again
    const auto replica = co_await applied_through_leader(member);
    const auto reference = co_await applied_through_leader(large.members[0]);
    EXPECT_EQ(replica, reference);
    co_await again.shutdown();
    for (auto& n : small.nodes) co_await n.shutdown();
  });
}

}  // namespace
}  // namespace incarnation_meet_net_test
}  // namespace mosaik::test
