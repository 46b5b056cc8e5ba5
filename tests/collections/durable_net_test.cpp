// Collections on a node with a data dir (decisions 0410, 0411): a collection is a group, so
// its log is in the node's LMDB store and its snapshots in files beside it. A map written on
// a node that then shuts down comes back whole when the node is rebuilt from the same dir,
// past a log compacted behind its snapshots: the member starts from its snapshot file and
// replays its log after it.
#include <gtest/gtest.h>

#include <filesystem>

#include "collections_fixture.hpp"
#include "durable_fixture.hpp"
#include "mosaik/collections/map.hpp"
#include "mosaik/primitives/async/block_on.hpp"
#include "support/co_assert.hpp"
#include "support/temp_dir.hpp"

namespace mosaik {
namespace durable_net_test {
namespace {

namespace fs = std::filesystem;
using Squares = collections::Map<std::uint64_t, std::uint64_t>;

const NetworkId kNet = "collections-durable-net-test";

// The one group a node of these tests keeps snapshots of: its id in hex.
std::string only_group(const fs::path& data_dir) {
  std::vector<std::string> groups;
  for (const auto& e : fs::directory_iterator(data_dir / "groups" / "snapshots"))
    groups.push_back(e.path().filename());
  return groups.size() == 1 ? groups.front() : std::string();
}

TEST(DurableCollectionsNet, a_map_on_a_node_with_a_data_dir_keeps_its_contents_across_a_restart) {
  block_on([]() -> asio::awaitable<void> {
    test::TempDir dir;
    const auto options = test::collection_options(1, 50);  // a lone writer; snapshots every 50
    constexpr std::uint64_t kKeys = 300;
    collections::Version last;
    {
      auto node = co_await test::durable_node(kNet, dir.path());
      std::optional<collections::MapWriter<std::uint64_t, std::uint64_t>> writer =
          Squares::writer_with_options(node, StoreId("squares"), options);
      co_await test::timeout_s(10, writer->when().online());
      for (std::uint64_t k = 0; k < kKeys; ++k) {
        auto v = co_await test::timeout_s(10, writer->insert(k, k * k));
        CO_ASSERT_TRUE(v.has_value());
        last = *v;
      }
      CO_ASSERT_TRUE(
          co_await test::until_snapshot_on_disk(dir.path(), only_group(dir.path()), 250));
      co_await node.shutdown();  // then the handle: a durable member stays in its group
      writer.reset();
    }
    const auto group = only_group(dir.path());
    CO_ASSERT_TRUE(test::log_base(dir.path(), group) >
                   groups::Index(0));  // the log alone lacks the first keys

    auto node = co_await test::durable_node(kNet, dir.path());
    auto writer = Squares::writer_with_options(node, StoreId("squares"), options);
    co_await test::reaches(writer, last);
    EXPECT_EQ(writer.len(), kKeys);
    for (std::uint64_t k = 0; k < kKeys; ++k) {
      const auto v = writer.get(k);
      EXPECT_TRUE(v.has_value() && *v == k * k) << "key " << k;
      if (!v) break;
    }
    auto more =
        co_await test::timeout_s(10, writer.insert(kKeys, kKeys * kKeys));  // and it goes on
    CO_ASSERT_TRUE(more.has_value());
    EXPECT_GT(*more, last);
    co_await node.shutdown();
  });
}

}  // namespace
}  // namespace durable_net_test
}  // namespace mosaik
