// Members that fall behind catch up over the network: by log replay (LogReplaySync: the
// committed log fetched from the members in parallel, decision 0412, then the leader's
// appends) and, past a compacted log, by a snapshot fetched from the other members
// (SnapshotSync). The late member is a node that joins the group only after the others
// committed, or one that left and comes back.
#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "group_fixture.hpp"
#include "metrics_scrape.hpp"
#include "mosaik/primitives/async/block_on.hpp"
#include "mosaik/primitives/persistent_map.hpp"
#include "node_fixture.hpp"
#include "support/co_assert.hpp"
#include "test_consensus.hpp"

namespace mosaik {
namespace state_sync_net_test {
namespace {

using namespace std::chrono_literals;

const NetworkId kNet = "groups-sync-net-test";

struct Put {
  std::uint32_t key = 0;
  std::uint64_t value = 0;
  MSGPACK_DEFINE(key, value);
};

// A key-value map that counts the commands it applied itself (not part of its state), so a
// test can tell a snapshot install from a replay.
struct Kv {
  using Command = Put;
  using Query = groups::Unit;
  using QueryResult = std::map<std::uint32_t, std::uint64_t>;
  std::map<std::uint32_t, std::uint64_t> map;
  std::shared_ptr<std::atomic<std::uint64_t>> applied = std::make_shared<std::atomic<std::uint64_t>>(0);
  std::shared_ptr<std::atomic<std::uint64_t>> installs = std::make_shared<std::atomic<std::uint64_t>>(0);
  std::uint64_t interval = 50;

  [[nodiscard]] UniqueId signature() const { return unique_id("test.kv.v1"); }
  void apply(Put p, const groups::ApplyContext&) {
    map[p.key] = p.value;
    ++*applied;
  }
  [[nodiscard]] QueryResult query(const groups::Unit&) const { return map; }

  [[nodiscard]] groups::SnapshotSync state_sync() const {
    groups::SnapshotSync s;
    s.config.snapshot_interval = interval;
    s.config.fetch_batch_size = 7;  // many batches, so several members serve some
    return s;
  }
  [[nodiscard]] std::vector<groups::SnapshotItem> snapshot() const {
    std::vector<groups::SnapshotItem> items;
    for (const auto& [k, v] : map) items.push_back({wire::encode(k), wire::encode(v)});
    return items;
  }
  void install_snapshot(std::vector<groups::SnapshotItem> items) {
    map.clear();
    for (const auto& item : items) {
      auto k = wire::decode<std::uint32_t>(item.key);
      auto v = wire::decode<std::uint64_t>(item.value);
      if (k && v) map[*k] = *v;
    }
    ++*installs;
  }
};
static_assert(groups::SnapshotStateMachine<Kv>);

// Kv on a persistent map that gives the core a capture instead of items (0801), and counts
// how often a capture was encoded, across every member that shares `encodes`.
struct CapturingKv {
  using Command = Put;
  using Query = groups::Unit;
  using QueryResult = std::map<std::uint32_t, std::uint64_t>;
  PersistentMap<std::uint32_t, std::uint64_t> map;
  std::shared_ptr<std::atomic<std::uint64_t>> encodes = std::make_shared<std::atomic<std::uint64_t>>(0);
  std::shared_ptr<std::atomic<std::uint64_t>> installs = std::make_shared<std::atomic<std::uint64_t>>(0);

  [[nodiscard]] UniqueId signature() const { return unique_id("test.capturing-kv.v1"); }
  void apply(Put p, const groups::ApplyContext&) { map.set(p.key, p.value); }
  [[nodiscard]] QueryResult query(const groups::Unit&) const { return QueryResult(map.begin(), map.end()); }
  [[nodiscard]] groups::SnapshotSync state_sync() const { return Kv{}.state_sync(); }
  [[nodiscard]] groups::SnapshotCapture capture_snapshot() const {
    return groups::SnapshotCapture(groups::SnapshotCapture::Encoder([captured = map, encodes = encodes] {
      ++*encodes;
      std::vector<groups::SnapshotItem> items;
      for (const auto& [k, v] : captured) items.push_back({wire::encode(k), wire::encode(v)});
      return items;
    }));
  }
  void install_snapshot(std::vector<groups::SnapshotItem> items) {
    Kv plain;
    plain.install_snapshot(std::move(items));
    map = {};
    for (const auto& [k, v] : plain.map) map.set(k, v);
    ++*installs;
  }
};
static_assert(groups::CapturingStateMachine<CapturingKv>);

struct Add {
  std::int64_t delta = 0;
  MSGPACK_DEFINE(delta);
};

struct Counter {
  using Command = Add;
  using Query = groups::Unit;
  using QueryResult = std::int64_t;
  std::int64_t value = 0;
  std::shared_ptr<std::atomic<std::uint64_t>> applied = std::make_shared<std::atomic<std::uint64_t>>(0);
  [[nodiscard]] UniqueId signature() const { return unique_id("test.sync.counter.v1"); }
  void apply(Add a, const groups::ApplyContext&) {
    value += a.delta;
    ++*applied;
  }
  [[nodiscard]] std::int64_t query(const groups::Unit&) const { return value; }
};

template <class M>
groups::Group<M> join(const Network& node, const groups::GroupKey& key, M machine) {
  return node.groups().with_key(key).with_state_machine(std::move(machine)).with_consensus_config(test::test_consensus(2)).join();
}

// 260 puts over 37 keys in 26 batches of 10, alternating between the two founders; `want`
// gets the map they make. Returns once every founder has committed the last batch.
template <class M>
asio::awaitable<void> put_through_founders(std::vector<groups::Group<M>>& founders,
                                           std::map<std::uint32_t, std::uint64_t>& want) {
  groups::Index last;
  for (std::uint64_t n = 1; n <= 260; n += 10) {
    std::vector<Put> batch;
    for (std::uint64_t k = n; k < n + 10; ++k) {
      batch.push_back(Put{static_cast<std::uint32_t>(k % 37), k});
      want[static_cast<std::uint32_t>(k % 37)] = k;
    }
    auto range = co_await test::timeout_s(10, founders[n % 2].execute_many(std::move(batch)));
    CO_ASSERT_TRUE(range.has_value());
    last = range->last;
  }
  for (auto& f : founders) (void)co_await test::timeout_s(10, f.when().committed().reaches(last));
}

// Waits until a strong read on `member` answers `want`.
template <class M>
asio::awaitable<bool> reads(groups::Group<M>& member, const typename M::QueryResult& want) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    auto r = co_await member.query(groups::Unit{}, groups::Consistency::Strong);
    if (r && r->result == want) co_return true;
    co_await member.when().committed().reaches(groups::Index(member.committed().value + 1));  // something new
  }
  co_return false;
}

TEST(StateSyncNet, a_member_joining_after_the_log_was_compacted_installs_a_snapshot_fetched_from_the_others) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await test::make_converged_nodes(kNet, 3, [] { return test::fast_discovery(); });
    const auto key = groups::GroupKey::generate();
    std::vector<groups::Group<Kv>> founders;
    for (std::size_t i = 0; i < 2; ++i) founders.push_back(join(nodes[i], key, Kv{}));
    for (auto& f : founders) co_await test::timeout_s(10, f.when().online());
    std::map<std::uint32_t, std::uint64_t> want;
    co_await put_through_founders(founders, want);  // well past two snapshot points

    Kv late_kv;
    auto late = join(nodes[2], key, late_kv);
    const bool caught_up = co_await test::timeout_s(20, reads(late, want));
    CO_ASSERT_TRUE(caught_up);
    // It installed a snapshot and replayed only what came after it, not the whole log.
    CO_ASSERT_TRUE(late_kv.installs->load() == 1u);
    CO_ASSERT_TRUE(late_kv.applied->load() < 260u);
    // It now counts in the quorum: with one founder gone, the two left still commit.
    const Put more{1, 999};
    auto index = co_await test::timeout_s(10, late.execute(more));
    CO_ASSERT_TRUE(index.has_value());
  }());
}

TEST(StateSyncNet, a_capturing_machine_is_encoded_only_when_a_late_member_fetches_its_snapshot) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await test::make_converged_nodes(kNet, 3, [] { return test::fast_discovery(); });
    const auto key = groups::GroupKey::generate();
    const CapturingKv shared;  // its counters, shared by every member's machine
    std::vector<groups::Group<CapturingKv>> founders;
    for (std::size_t i = 0; i < 2; ++i) founders.push_back(join(nodes[i], key, shared));
    for (auto& f : founders) co_await test::timeout_s(10, f.when().online());
    std::map<std::uint32_t, std::uint64_t> want;
    co_await put_through_founders(founders, want);  // five snapshot points on each founder
    // Ten snapshots taken (and the logs compacted), none encoded: nobody asked for one.
    CO_ASSERT_TRUE(shared.encodes->load() == 0u);

    auto late = join(nodes[2], key, shared);
    const bool caught_up = co_await test::timeout_s(20, reads(late, want));
    CO_ASSERT_TRUE(caught_up);
    CO_ASSERT_TRUE(shared.installs->load() == 1u);
    // The newest snapshot, encoded by the founders that served it: at most once each.
    CO_ASSERT_TRUE(shared.encodes->load() >= 1u);
    CO_ASSERT_TRUE(shared.encodes->load() <= 2u);
  }());
}

// Ten thousand commands in 100 batches of 100, alternating between two members; returns
// the sum they make.
asio::awaitable<std::int64_t> add_ten_thousand(std::vector<groups::Group<Counter>>& members) {
  std::int64_t sum = 0;
  for (int round = 0; round < 100; ++round) {
    std::vector<Add> batch;
    for (int k = 0; k < 100; ++k) {
      batch.push_back(Add{round * 100 + k});
      sum += round * 100 + k;
    }
    auto range = co_await test::timeout_s(10, members[round % 2].execute_many(std::move(batch)));
    CO_ASSERT_TRUE(range.has_value());
  }
  co_return sum;
}

TEST(StateSyncNet, a_member_ten_thousand_commands_behind_catches_up_by_log_replay) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await test::make_converged_nodes(kNet, 3, [] { return test::fast_discovery(); });
    const auto key = groups::GroupKey::generate();
    std::vector<groups::Group<Counter>> founders;
    for (std::size_t i = 0; i < 2; ++i) founders.push_back(join(nodes[i], key, Counter{}));
    for (auto& f : founders) co_await test::timeout_s(10, f.when().online());
    const auto sum = co_await add_ten_thousand(founders);
    Counter late_counter;
    auto late = join(nodes[2], key, late_counter);
    const bool caught_up = co_await test::timeout_s(30, reads(late, sum));
    CO_ASSERT_TRUE(caught_up);
    CO_ASSERT_TRUE(late_counter.applied->load() == 10'000u);  // every command, replayed
  }());
}

double replay_counter(const Network& node, const char* name, const GroupId& group) {
  return test::sample(test::scrape(*node.metrics_address()), test::group_series(name, group)).value_or(0);
}

TEST(StateSyncNet, a_member_stopped_while_ten_thousand_commands_commit_fetches_them_in_batches_from_the_members) {
  block_on([]() -> asio::awaitable<void> {
    std::vector<Network> nodes;
    nodes.push_back(co_await test::node_with_metrics(kNet, test::loopback_any()));
    const auto first = nodes.front().local().addr();
    for (int i = 0; i < 2; ++i)
      nodes.push_back(co_await test::node_with_metrics(kNet, test::loopback_any(), test::fast_discovery().with_bootstrap(first)));
    for (const auto& n : nodes) co_await test::until_catalog(n, [](const discovery::Catalog& c) { return c.size() == 2; });
    const auto key = groups::GroupKey::generate();
    auto join3 = [&key](const Network& node, Counter machine) {
      return node.groups().with_key(key).with_state_machine(std::move(machine)).with_consensus_config(test::test_consensus(3)).join();
    };
    std::vector<groups::Group<Counter>> running;
    for (const auto& n : nodes) running.push_back(join3(n, Counter{}));
    (void)co_await test::agreed_leader(running, 15);
    const auto group = running.front().id();
    const auto stopped = (test::leader_index(running) + 1) % running.size();  // a follower
    running.erase(running.begin() + static_cast<std::ptrdiff_t>(stopped));  // its member leaves; the other two go on

    const auto sum = co_await add_ten_thousand(running);

    Counter back;
    auto restarted = join3(nodes[stopped], back);
    const bool caught_up = co_await test::timeout_s(30, reads(restarted, sum));
    CO_ASSERT_TRUE(caught_up);
    CO_ASSERT_TRUE(back.applied->load() == 10'000u);  // every command, replayed once

    // The restarted member took several batches, served by the members. Which members serve
    // depends on which bonds are up when the fetch starts: with the leader's bond alone the
    // whole fetch (about 9 ms) may end before the other member's bond comes up, so that both
    // serve is checked where the bonds are set (replay_fetch_test: batches spread over the
    // sources, a member that bonds mid-fetch becomes one).
    double served = 0;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (i != stopped) served += replay_counter(nodes[i], "mosaik_group_replay_batches_served_total", group);
    }
    const double fetched = replay_counter(nodes[stopped], "mosaik_group_replay_batches_fetched_total", group);
    CO_ASSERT_TRUE(fetched >= 2.0);
    CO_ASSERT_TRUE(served >= fetched);
    for (auto& n : nodes) co_await n.shutdown();
  }());
}

}  // namespace
}  // namespace state_sync_net_test
}  // namespace mosaik
