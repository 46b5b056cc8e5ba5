// Map on real nodes over loopback: a writer's mutations reach a reader on another node
// (each through reaches(v)); a reader joining late catches up past a compacted log by
// snapshot; two writers interleave and every replica ends identical; concurrent inserts on one
// handle share few log entries (one per coalesced batch, 0802), a batch too large for one
// entry is split; errors give values back.
#include <gtest/gtest.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/this_coro.hpp>
#include <memory>
#include <string>
#include <vector>

#include "collections_fixture.hpp"
#include "mosaik/collections/map.hpp"
#include "mosaik/network/network.hpp"
#include "mosaik/primitives/async/block_on.hpp"
#include "mosaik/primitives/async/watch.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace map_net_test {
namespace {

using collections::Map;
using collections::MapReader;
using collections::MapWriter;
using collections::Version;
using Prices = Map<std::string, std::uint64_t>;

const NetworkId kNet = "collections-map-net-test";

// A reader has no mutating method, at compile time.
template <class C>
concept Inserts = requires(const C& c, std::string k) { c.insert(k, 1); };
template <class C>
concept Clears = requires(const C& c) { c.clear(); };
static_assert(!Inserts<MapReader<std::string, std::uint64_t>> && !Clears<MapReader<std::string, std::uint64_t>>);
static_assert(Inserts<MapWriter<std::string, std::uint64_t>> && Clears<MapWriter<std::string, std::uint64_t>>);

// Built outside the coroutines: g++ 12 cannot keep an initializer list's array in a frame.
std::vector<std::pair<std::string, std::uint64_t>> coins() { return {{"BTC", 105000}, {"SOL", 178}, {"DOGE", 1}}; }
std::vector<std::string> final_keys() { return {"ADA", "BTC", "ETH"}; }

std::vector<std::pair<std::string, std::uint64_t>> entries_of(const auto& map) {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (const auto& [k, v] : map.iter()) out.emplace_back(k, v);
  return out;
}

TEST(MapNet, every_mutation_of_a_writer_reaches_a_reader_on_another_node) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await test::make_converged_nodes(kNet, 2, [] { return test::fast_discovery(); });
    const auto options = test::collection_options();
    auto writer = Prices::writer_with_options(nodes[0], StoreId("prices"), options);
    auto reader = Prices::reader_with_options(nodes[1], StoreId("prices"), options);
    co_await test::timeout_s(10, writer.when().online());
    co_await test::timeout_s(10, reader.when().online());

    auto v1 = co_await test::timeout_s(10, writer.insert("ETH", 3812));
    CO_ASSERT_TRUE(v1.has_value());
    CO_ASSERT_TRUE(writer.get("ETH") == 3812u);  // read-your-writes, no wait
    co_await test::reaches(reader, *v1);
    CO_ASSERT_TRUE(reader.get("ETH") == 3812u);

    auto v2 = co_await test::timeout_s(10, writer.extend(coins()));
    CO_ASSERT_TRUE(v2.has_value() && *v2 > *v1);
    co_await test::reaches(reader, *v2);
    CO_ASSERT_TRUE(reader.len() == 4u && reader.contains_key("SOL"));

    auto v3 = co_await test::timeout_s(10, writer.remove("SOL"));
    CO_ASSERT_TRUE(v3.has_value());
    co_await test::reaches(reader, *v3);
    CO_ASSERT_FALSE(reader.contains_key("SOL"));

    // compare_exchange: a match updates, inserts or removes; a mismatch commits a version but changes nothing.
    auto cas_update = co_await test::timeout_s(10, writer.compare_exchange("ETH", 3812, 3900));
    auto cas_stale = co_await test::timeout_s(10, writer.compare_exchange("ETH", 3812, 1));
    auto cas_insert = co_await test::timeout_s(10, writer.compare_exchange("ADA", std::nullopt, 42));
    auto cas_absent = co_await test::timeout_s(10, writer.compare_exchange("BTC", std::nullopt, 7));
    auto cas_remove = co_await test::timeout_s(10, writer.compare_exchange("DOGE", 1, std::nullopt));
    CO_ASSERT_TRUE(cas_update && cas_stale && cas_insert && cas_absent && cas_remove);
    CO_ASSERT_TRUE(*cas_stale > *cas_update);
    co_await test::reaches(reader, *cas_remove);
    CO_ASSERT_TRUE(reader.get("ETH") == 3900u);
    CO_ASSERT_TRUE(reader.get("ADA") == 42u);
    CO_ASSERT_TRUE(reader.get("BTC") == 105000u);
    CO_ASSERT_FALSE(reader.contains_key("DOGE"));
    const auto keys = final_keys();  // key order, on every node
    CO_ASSERT_TRUE(reader.keys() == keys && writer.keys() == keys);
    CO_ASSERT_TRUE(entries_of(reader) == entries_of(writer));

    auto v4 = co_await test::timeout_s(10, writer.clear());
    CO_ASSERT_TRUE(v4.has_value());
    co_await test::reaches(reader, *v4);
    CO_ASSERT_TRUE(reader.is_empty());
    CO_ASSERT_TRUE(reader.version() >= *v4);
  }());
}

TEST(MapNet, a_reader_joining_after_the_log_was_compacted_catches_up_and_follows_new_writes) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await test::make_converged_nodes(kNet, 2, [] { return test::fast_discovery(); });
    const auto options = test::collection_options(1, 50);
    auto writer = Prices::writer_with_options(nodes[0], StoreId("late"), options);
    co_await test::timeout_s(10, writer.when().online());
    Version last;
    for (int batch = 0; batch < 30; ++batch) {  // 30 versions, 300 keys: past several snapshot points
      std::vector<std::pair<std::string, std::uint64_t>> entries;
      for (int k = 0; k < 10; ++k) entries.emplace_back("key-" + std::to_string(batch * 10 + k), batch * 10 + k);
      auto v = co_await test::timeout_s(10, writer.extend(std::move(entries)));
      CO_ASSERT_TRUE(v.has_value());
      last = *v;
    }
    // Past 2 snapshot intervals of log entries (commands, no-ops, memberships): compacted.
    for (int i = 0; i < 80; ++i) {
      auto v = co_await test::timeout_s(10, writer.insert("tick", static_cast<std::uint64_t>(i)));
      CO_ASSERT_TRUE(v.has_value());
      last = *v;
    }
    auto reader = Prices::reader_with_options(nodes[1], StoreId("late"), options);
    co_await test::reaches(reader, last);
    CO_ASSERT_TRUE(reader.len() == 301u);
    CO_ASSERT_TRUE(entries_of(reader) == entries_of(writer));
    // And it keeps following.
    auto more = co_await test::timeout_s(10, writer.insert("after", 1));
    CO_ASSERT_TRUE(more.has_value());
    co_await test::reaches(reader, *more);
    CO_ASSERT_TRUE(reader.get("after") == 1u);
  }());
}

// One writer's run of inserts, some keys shared with the other writer.
asio::awaitable<Version> write_run(MapWriter<std::string, std::uint64_t> w, std::string name, int count) {
  Version last;
  for (int i = 0; i < count; ++i) {
    // A named local: g++ 12 destroys a ?: temporary inside a co_await expression twice.
    std::string key = name + "-" + std::to_string(i);
    if (i % 3 == 0) key = "shared-" + std::to_string(i);
    auto v = co_await w.insert(std::move(key), static_cast<std::uint64_t>(i));
    if (!v) throw std::runtime_error(std::string("insert failed: ") + std::string(v.error().message()));
    last = std::max(last, *v);
  }
  co_return last;
}

TEST(MapNet, two_writers_interleave_and_every_replica_ends_identical) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await test::make_converged_nodes(kNet, 3, [] { return test::fast_discovery(); });
    const auto options = test::collection_options(2);
    auto a = Prices::writer_with_options(nodes[0], StoreId("interleave"), options);
    auto b = Prices::writer_with_options(nodes[1], StoreId("interleave"), options);
    auto reader = Prices::reader_with_options(nodes[2], StoreId("interleave"), options);
    co_await test::timeout_s(15, a.when().online());
    co_await test::timeout_s(15, b.when().online());
    using namespace asio::experimental::awaitable_operators;
    auto [va, vb] = co_await test::timeout_s(30, write_run(a, "a", 60) && write_run(b, "b", 60));
    const Version last = std::max(va, vb);
    co_await test::reaches(a, last);
    co_await test::reaches(b, last);
    co_await test::reaches(reader, last);
    const auto want = entries_of(a);
    CO_ASSERT_TRUE(want.size() == 100u);  // 20 shared keys + 40 of each writer's own
    CO_ASSERT_TRUE(entries_of(b) == want);
    CO_ASSERT_TRUE(entries_of(reader) == want);
  }());
}

// One concurrent insert: its version goes into `versions` at its position, then `left`
// counts down.
template <class Writer, class Value>
asio::awaitable<void> insert_one(Writer w, std::uint64_t i, Value value, std::shared_ptr<std::vector<Version>> versions,
                                 std::shared_ptr<Watch<std::size_t>> left) {
  std::string key = "concurrent-" + std::to_string(i);
  auto v = co_await w.insert(std::move(key), std::move(value));
  if (v) (*versions)[i] = *v;
  left->modify([](std::size_t& n) { --n; return true; });
}

// Spawns `count` inserts on `writer` at once (value_of(i) each) and waits until all
// returned: the version of each, Version{} for one that failed.
template <class Writer, class ValueOf>
asio::awaitable<std::vector<Version>> insert_concurrently(Writer writer, std::size_t count, ValueOf value_of) {
  auto versions = std::make_shared<std::vector<Version>>(count);
  auto left = std::make_shared<Watch<std::size_t>>(count);
  auto ex = co_await asio::this_coro::executor;
  for (std::size_t i = 0; i < count; ++i)
    asio::co_spawn(ex, insert_one(writer, i, value_of(i), versions, left), asio::detached);
  auto all = left->subscribe();
  (void)co_await test::timeout_s(30, all.wait_until([](std::size_t n) { return n == 0; }));
  co_return *versions;
}

// How many log entries `versions` (of one handle's mutations) took.
std::size_t entries_taken(std::vector<Version> versions) {
  std::sort(versions.begin(), versions.end());
  return static_cast<std::size_t>(std::unique(versions.begin(), versions.end()) - versions.begin());
}

TEST(MapNet, concurrent_inserts_on_one_handle_share_few_entries_in_arrival_order_and_all_apply) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await test::make_converged_nodes(kNet, 2, [] { return test::fast_discovery(); });
    const auto options = test::collection_options();
    auto writer = Prices::writer_with_options(nodes[0], StoreId("concurrent"), options);
    auto reader = Prices::reader_with_options(nodes[1], StoreId("concurrent"), options);
    co_await test::timeout_s(10, writer.when().online());
    constexpr std::size_t kInserts = 300;  // more than one coalesced proposal holds
    const auto versions = co_await insert_concurrently(writer, kInserts, [](std::size_t i) { return std::uint64_t{i}; });
    CO_ASSERT_TRUE(std::ranges::none_of(versions, [](Version v) { return v == Version{}; }));  // all committed
    // Arrival order: a later caller's version is never below an earlier one's (0802).
    CO_ASSERT_TRUE(std::ranges::is_sorted(versions));
    // One entry per coalesced batch (0802): the first callers find a free proposal slot each,
    // the rest wait together; one entry per insert would be 300.
    const auto entries = entries_taken(versions);
    CO_ASSERT_TRUE(entries >= 2 && entries <= 16);
    co_await test::reaches(reader, versions.back());
    CO_ASSERT_TRUE(reader.len() == kInserts && writer.len() == kInserts);
    CO_ASSERT_TRUE(reader.get("concurrent-299") == 299u);
  }());
}

TEST(MapNet, a_batch_too_large_for_one_entry_is_split_and_every_mutation_commits) {
  block_on([]() -> asio::awaitable<void> {
    using Blobs = Map<std::string, std::string>;
    auto nodes = co_await test::make_converged_nodes(kNet, 2, [] { return test::fast_discovery(); });
    const auto options = test::collection_options(1, 1000);
    auto writer = Blobs::writer_with_options(nodes[0], StoreId("too-large"), options);
    auto reader = Blobs::reader_with_options(nodes[1], StoreId("too-large"), options);
    co_await test::timeout_s(10, writer.when().online());
    // 40 values of 600 KiB: the callers past the first few wait as one batch of ~21 MiB,
    // more than one entry may carry (16 MiB), so it goes as halves.
    constexpr std::size_t kInserts = 40;
    constexpr std::size_t kValueBytes = 600 << 10;
    auto value_of = [](std::size_t i) { return std::string(kValueBytes, static_cast<char>('a' + i % 26)); };
    const auto versions = co_await insert_concurrently(writer, kInserts, value_of);
    CO_ASSERT_TRUE(std::ranges::none_of(versions, [](Version v) { return v == Version{}; }));
    CO_ASSERT_TRUE(std::ranges::is_sorted(versions));
    CO_ASSERT_TRUE(entries_taken(versions) < kInserts);  // split in halves, not one by one
    co_await test::reaches(reader, versions.back(), 30);
    CO_ASSERT_TRUE(reader.len() == kInserts);
    for (std::size_t i = 0; i < kInserts; ++i) CO_ASSERT_TRUE(reader.get("concurrent-" + std::to_string(i)) == value_of(i));
  }());
}

TEST(MapNet, a_mutation_without_a_reachable_leader_is_offline_and_gives_the_value_back) {
  block_on([]() -> asio::awaitable<void> {
    auto node = co_await test::make_node(kNet);
    // Two founders expected, one present: no leader is ever elected.
    auto options = test::collection_options(2);
    auto writer = Prices::writer_with_options(node, StoreId("alone"), options);
    auto v = co_await test::timeout_s(15, writer.insert("key", 7));
    CO_ASSERT_FALSE(v.has_value());
    CO_ASSERT_TRUE(v.error().is_offline() || v.error().is_timeout());
    CO_ASSERT_TRUE(v.error().value() == std::make_pair(std::string("key"), std::uint64_t{7}));
    CO_ASSERT_TRUE(writer.is_empty());
  }());
}

TEST(MapNet, a_mutation_after_the_node_shut_down_is_network_down) {
  block_on([]() -> asio::awaitable<void> {
    auto node = co_await test::make_node(kNet);
    auto writer = Prices::writer_with_options(node, StoreId("down"), test::collection_options());
    co_await test::timeout_s(10, writer.when().online());
    co_await test::timeout_s(10, node.shutdown());
    auto v = co_await test::timeout_s(10, writer.insert("key", 1));
    CO_ASSERT_FALSE(v.has_value());
    CO_ASSERT_TRUE(v.error().is_network_down());
  }());
}

}  // namespace
}  // namespace map_net_test
}  // namespace mosaik
