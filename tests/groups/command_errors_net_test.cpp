// Each error execute/feed/query can return, reached on real nodes: Offline (certainly not
// committed, commands carried back), TooLarge, NoCommands, GroupTerminated.
#include <gtest/gtest.h>

#include "mosaik/primitives/async/block_on.hpp"
#include "node_fixture.hpp"
#include "support/co_assert.hpp"
#include "test_consensus.hpp"

namespace mosaik {
namespace command_errors_net_test {
namespace {

using namespace std::chrono_literals;

const NetworkId kNet = "groups-errors-net-test";

struct Blob {
  wire::Bytes data;
  MSGPACK_DEFINE(data);
};

struct Sizes {
  using Command = Blob;
  using Query = groups::Unit;
  using QueryResult = std::uint64_t;
  std::uint64_t bytes = 0;
  [[nodiscard]] UniqueId signature() const { return unique_id("test.sizes.v1"); }
  void apply(Blob b, const groups::ApplyContext&) { bytes += b.data.size(); }
  [[nodiscard]] std::uint64_t query(const groups::Unit&) const { return bytes; }
};

groups::Group<Sizes> join(const Network& node, const groups::GroupKey& key, std::uint32_t expect) {
  return node.groups().with_key(key).with_state_machine(Sizes{}).with_consensus_config(test::test_consensus(expect)).join();
}

TEST(GroupErrorsNet, a_member_without_a_leader_is_offline_and_gets_its_commands_back) {
  block_on([]() -> asio::awaitable<void> {
    auto node = co_await test::make_node(kNet);
    auto alone = join(node, groups::GroupKey::generate(), 2);  // waits for a second founder forever
    const Blob blob{wire::Bytes(3, 7)};
    auto r = co_await test::timeout_s(10, alone.execute(blob));
    CO_ASSERT_TRUE(!r.has_value() && r.error().is_offline());
    auto back = std::move(r.error()).take_commands();
    CO_ASSERT_TRUE(back.size() == 1u && back[0].data == blob.data);
    auto fed = co_await test::timeout_s(10, alone.feed(blob));
    CO_ASSERT_TRUE(!fed.has_value() && fed.error().is_offline());
    auto q = co_await test::timeout_s(10, alone.query(groups::Unit{}, groups::Consistency::Strong));
    CO_ASSERT_TRUE(!q.has_value() && q.error().is_offline());
  }());
}

TEST(GroupErrorsNet, a_batch_beyond_one_consensus_message_is_too_large_on_the_leader_and_on_a_follower) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await test::make_converged_nodes(kNet, 2, [] { return test::fast_discovery(); });
    const auto key = groups::GroupKey::generate();
    std::vector<groups::Group<Sizes>> members;
    for (auto& n : nodes) members.push_back(join(n, key, 2));
    for (auto& m : members) co_await test::timeout_s(10, m.when().online());
    for (auto& m : members) {
      std::vector<Blob> batch(3, Blob{wire::Bytes(6 << 20, 1)});  // 18 MiB in all
      auto r = co_await test::timeout_s(10, m.execute_many(std::move(batch)));
      CO_ASSERT_TRUE(!r.has_value() && r.error().is_too_large());
    }
    // A large command that fits still commits on both.
    const Blob fits{wire::Bytes(4 << 20, 2)};
    auto ok = co_await test::timeout_s(10, members[1].execute(fits));
    CO_ASSERT_TRUE(ok.has_value());
    auto q = co_await test::timeout_s(10, members[0].query(groups::Unit{}, groups::Consistency::Strong));
    CO_ASSERT_TRUE(q.has_value() && q->result == (4u << 20));
  }());
}

TEST(GroupErrorsNet, after_the_node_shuts_down_every_call_says_the_group_terminated) {
  block_on([]() -> asio::awaitable<void> {
    auto node = co_await test::make_node(kNet);
    auto group = join(node, groups::GroupKey::generate(), 1);
    co_await test::timeout_s(10, group.when().is_leader());
    const Blob blob{wire::Bytes(1, 1)};
    auto before = co_await test::timeout_s(10, group.execute(blob));
    CO_ASSERT_TRUE(before.has_value());
    co_await node.shutdown();
    CO_ASSERT_TRUE(group.status().terminated);
    auto r = co_await test::timeout_s(10, group.execute(blob));
    CO_ASSERT_TRUE(!r.has_value() && r.error().is_terminated());
    auto q = co_await test::timeout_s(10, group.query(groups::Unit{}, groups::Consistency::Weak));
    CO_ASSERT_TRUE(!q.has_value() && q.error().is_terminated());
  }());
}

// The node's executor goes with the last Network copy: a handle must not post to it.
TEST(GroupErrorsNet, a_handle_that_outlives_its_network_says_the_group_terminated) {
  block_on([]() -> asio::awaitable<void> {
    std::optional<Network> node = co_await test::make_node(kNet);
    auto group = join(*node, groups::GroupKey::generate(), 1);
    co_await test::timeout_s(10, group.when().is_leader());
    node.reset();
    CO_ASSERT_TRUE(group.status().terminated);
    const Blob blob{wire::Bytes(1, 1)};
    auto r = co_await group.execute(blob);
    CO_ASSERT_TRUE(!r.has_value() && r.error().is_terminated());
    auto fed = co_await group.feed(blob);
    CO_ASSERT_TRUE(!fed.has_value() && fed.error().is_terminated());
    auto q = co_await group.query(groups::Unit{}, groups::Consistency::Strong);
    CO_ASSERT_TRUE(!q.has_value() && q.error().is_terminated());
  }());
}

// A copy of the groups subsystem kept after its node: joining through it gives a group that
// is terminated from the start, and letting it go touches nothing of the node.
TEST(GroupErrorsNet, joining_through_a_groups_copy_that_outlives_its_network_gives_a_terminated_group) {
  block_on([]() -> asio::awaitable<void> {
    std::optional<Network> node = co_await test::make_node(kNet);
    std::optional<groups::Groups> kept = node->groups();
    node.reset();
    auto group = kept->with_key(groups::GroupKey::generate()).with_state_machine(Sizes{}).join();
    CO_ASSERT_TRUE(group.status().terminated);
    const Blob blob{wire::Bytes(1, 1)};
    auto r = co_await group.execute(blob);
    CO_ASSERT_TRUE(!r.has_value() && r.error().is_terminated());
    kept.reset();
  }());
}

}  // namespace
}  // namespace command_errors_net_test
}  // namespace mosaik
