// Replay from the members over the network (docs/decisions/0412): a member stopped while
// ten thousand commands commit comes back and fetches the committed log in batches from the
// other members in parallel, not only from the leader; the metrics show who served.
#include <gtest/gtest.h>

#include <optional>

#include "metrics_scrape.hpp"
#include "mosaik/primitives/async/block_on.hpp"
#include "node_fixture.hpp"
#include "support/co_assert.hpp"
#include "test_consensus.hpp"

namespace mosaik {
namespace replay_net_test {
namespace {

using namespace std::chrono_literals;

const NetworkId kNet = "groups-replay-net-test";

struct Add {
  std::int64_t delta = 0;
  MSGPACK_DEFINE(delta);
};

struct Sum {
  using Command = Add;
  using Query = groups::Unit;
  using QueryResult = std::int64_t;
  std::int64_t value = 0;
  std::shared_ptr<std::atomic<std::uint64_t>> applied = std::make_shared<std::atomic<std::uint64_t>>(0);
  [[nodiscard]] UniqueId signature() const { return unique_id("test.replay.sum.v1"); }
  void apply(Add a, const groups::ApplyContext&) {
    value += a.delta;
    ++*applied;
  }
  [[nodiscard]] std::int64_t query(const groups::Unit&) const { return value; }
};

groups::Group<Sum> join(const Network& node, const groups::GroupKey& key, Sum machine) {
  return node.groups().with_key(key).with_state_machine(std::move(machine)).with_consensus_config(test::test_consensus(3)).join();
}

// Waits until a strong read on `member` answers `want`.
asio::awaitable<bool> reads(groups::Group<Sum>& member, std::int64_t want) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    auto r = co_await member.query(groups::Unit{}, groups::Consistency::Strong);
    if (r && r->result == want) co_return true;
    co_await member.when().committed().reaches(groups::Index(member.committed().value + 1));  // something new
  }
  co_return false;
}

double replay_counter(const Network& node, const char* name, const GroupId& group) {
  return test::sample(test::scrape(*node.metrics_address()), test::group_series(name, group)).value_or(0);
}

TEST(ReplayNet, a_member_stopped_while_ten_thousand_commands_commit_fetches_them_from_several_members) {
  block_on([]() -> asio::awaitable<void> {
    std::vector<Network> nodes;
    nodes.push_back(co_await test::node_with_metrics(kNet, test::loopback_any()));
    const auto first = nodes.front().local().addr();
    for (int i = 0; i < 2; ++i)
      nodes.push_back(co_await test::node_with_metrics(kNet, test::loopback_any(), test::fast_discovery().with_bootstrap(first)));
    for (const auto& n : nodes) co_await test::until_catalog(n, [](const discovery::Catalog& c) { return c.size() == 2; });
    const auto key = groups::GroupKey::generate();
    std::vector<groups::Group<Sum>> running;
    for (std::size_t i = 0; i < 2; ++i) running.push_back(join(nodes[i], key, Sum{}));
    std::optional<groups::Group<Sum>> stopped = join(nodes[2], key, Sum{});
    for (auto& m : running) co_await test::timeout_s(10, m.when().online());
    co_await test::timeout_s(10, stopped->when().online());
    const auto group = stopped->id();
    stopped.reset();  // its member leaves; the other two go on

    std::int64_t sum = 0;
    for (int round = 0; round < 100; ++round) {
      std::vector<Add> batch;
      for (int k = 0; k < 100; ++k) {
        batch.push_back(Add{round * 100 + k});
        sum += round * 100 + k;
      }
      auto range = co_await test::timeout_s(10, running[round % 2].execute_many(std::move(batch)));
      CO_ASSERT_TRUE(range.has_value());
    }

    Sum back;
    auto restarted = join(nodes[2], key, back);
    const bool caught_up = co_await test::timeout_s(30, reads(restarted, sum));
    CO_ASSERT_TRUE(caught_up);
    CO_ASSERT_TRUE(back.applied->load() == 10'000u);  // every command, replayed once

    // Both other members served batches; the restarted one took several.
    for (std::size_t i = 0; i < 2; ++i) {
      const auto served = replay_counter(nodes[i], "mosaik_group_replay_batches_served_total", group);
      CO_ASSERT_TRUE(served >= 1.0);
    }
    CO_ASSERT_TRUE(replay_counter(nodes[2], "mosaik_group_replay_batches_fetched_total", group) >= 2.0);
    for (auto& n : nodes) co_await n.shutdown();
  }());
}

}  // namespace
}  // namespace replay_net_test
}  // namespace mosaik
