// Collections' snapshot sync and who may read, on real nodes over loopback: a reader joining
// a map of 100 000 entries while writes go on ends identical to the writer; a reader whose
// node restarts before it installed the snapshot catches up after the restart; a node that
// does not hold the store secret never receives an item, while one that holds it does; a
// reader cut off never stalls a lone writer (readers are learners, never voters); snapshot
// points encode nothing until a reader fetches the snapshot (decision 0801).
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "collections_fixture.hpp"
#include "group_fixture.hpp"
#include "mosaik/collections/map.hpp"
#include "mosaik/network/network.hpp"
#include "mosaik/primitives/async/block_on.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace sync_net_test {
namespace {

using collections::Map;
using collections::Version;
using Table = Map<std::uint64_t, std::string>;

const NetworkId kNet = "collections-sync-net-test";

std::vector<std::pair<std::uint64_t, std::string>> rows(std::uint64_t from, std::uint64_t count) {
  std::vector<std::pair<std::uint64_t, std::string>> out;
  out.reserve(count);
  for (std::uint64_t k = from; k < from + count; ++k) out.emplace_back(k, "value-" + std::to_string(k));
  return out;
}

// Fills `writer` with `total` rows, 1000 per version; the last version.
asio::awaitable<Version> fill(collections::MapWriter<std::uint64_t, std::string> writer, std::uint64_t from,
                              std::uint64_t total) {
  Version last;
  for (std::uint64_t k = from; k < from + total; k += 1000) {
    auto v = co_await writer.extend(rows(k, 1000));
    if (!v) throw std::runtime_error("extend failed: " + std::string(v.error().message()));
    last = *v;
  }
  co_return last;
}

bool same_entries(const auto& a, const auto& b) { return a.iter() == b.iter(); }

collections::Options big_options() {
  auto o = test::collection_options(1, 20);
  o.sync.fetch_batch_size = 2000;
  return o;
}

// A value that counts its encodings, whoever makes them: a writer's command, a snapshot.
struct Counted {
  std::uint64_t n = 0;
  static constexpr std::string_view mosaik_type_name = "test.collections.Counted.v1";
  static inline std::atomic<std::uint64_t> packs{0};
  friend bool operator==(const Counted&, const Counted&) = default;
  template <class Packer>
  void msgpack_pack(Packer& pk) const {
    ++packs;
    pk.pack(n);
  }
  void msgpack_unpack(const msgpack::object& o) { n = o.as<std::uint64_t>(); }
};

TEST(CollectionsSyncNet, snapshot_points_encode_nothing_until_a_reader_fetches_the_snapshot) {
  block_on([]() -> asio::awaitable<void> {
    using Counts = Map<std::uint64_t, Counted>;
    auto nodes = co_await test::make_converged_nodes(kNet, 2, [] { return test::fast_discovery(); });
    const auto options = test::collection_options(1, 10);
    auto writer = Counts::writer_with_options(nodes[0], StoreId("counted"), options);
    co_await test::timeout_s(10, writer.when().online());
    constexpr std::uint64_t kInserts = 300;
    Counted::packs = 0;
    Version last;
    for (std::uint64_t k = 0; k < kInserts; ++k) {
      auto v = co_await writer.insert(k, Counted{k});
      CO_ASSERT_TRUE(v.has_value());
      last = *v;
    }
    // Each insert's command encodes its value once. About 30 snapshot points passed: had
    // each encoded the map (as before 0801), that would be 10 + 20 + ... + 300 = 4 650 more.
    const auto after_inserts = Counted::packs.load();
    CO_ASSERT_TRUE(after_inserts >= kInserts);
    CO_ASSERT_TRUE(after_inserts < 2 * kInserts);

    // A reader joins past the compacted log: the writer encodes the snapshot it serves, once.
    auto reader = Counts::reader_with_options(nodes[1], StoreId("counted"), options);
    co_await test::reaches(reader, last);
    CO_ASSERT_TRUE(reader.len() == kInserts);
    CO_ASSERT_TRUE(reader.get(kInserts - 1) == Counted{kInserts - 1});
    const auto served = Counted::packs.load() - after_inserts;
    CO_ASSERT_TRUE(served >= kInserts - 10);  // the snapshot: all but the log's tail
    CO_ASSERT_TRUE(served < 2 * kInserts);
  }());
}

TEST(CollectionsSyncNet, a_reader_joining_a_map_of_100000_entries_while_writes_go_on_ends_identical) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await test::make_converged_nodes(kNet, 2, [] { return test::fast_discovery(); });
    const auto options = big_options();
    auto writer = Table::writer_with_options(nodes[0], StoreId("big"), options);
    co_await test::timeout_s(10, writer.when().online());
    (void)co_await test::timeout_s(60, fill(writer, 0, 100'000));
    // The reader joins while 20 000 more rows are written.
    auto reader = Table::reader_with_options(nodes[1], StoreId("big"), options);
    const Version last = co_await test::timeout_s(60, fill(writer, 100'000, 20'000));
    co_await test::reaches(reader, last, 60);
    CO_ASSERT_TRUE(reader.len() == 120'000u);
    CO_ASSERT_TRUE(same_entries(reader, writer));
  }());
}

TEST(CollectionsSyncNet, a_reader_restarted_before_it_installed_the_snapshot_catches_up_after_the_restart) {
  block_on([]() -> asio::awaitable<void> {
    auto writer_node = co_await test::make_node(kNet);
    const auto options = big_options();
    auto writer = Table::writer_with_options(writer_node, StoreId("restart"), options);
    co_await test::timeout_s(10, writer.when().online());
    const Version filled = co_await test::timeout_s(60, fill(writer, 0, 60'000));

    const auto reader_key = SecretKey::generate();
    const auto bootstrap = writer_node.local().addr();
    {
      auto node = co_await test::make_node(kNet, test::fast_discovery().with_bootstrap(bootstrap), reader_key);
      auto reader = Table::reader_with_options(node, StoreId("restart"), options);
      // Bonded, nothing installed yet: the sync is about to run or running.
      auto watch = reader.group().status_watch();
      auto bonded = watch.wait_until([](const groups::Status& s) { return s.bonds > 0; });
      const auto at = co_await test::timeout_s(10, std::move(bonded));
      CO_ASSERT_TRUE(at.committed < filled.index);
      co_await test::timeout_s(10, node.shutdown());
    }
    auto node = co_await test::make_node(kNet, test::fast_discovery().with_bootstrap(bootstrap), reader_key);
    auto reader = Table::reader_with_options(node, StoreId("restart"), options);
    const Version more = co_await test::timeout_s(30, fill(writer, 60'000, 2000));
    co_await test::reaches(reader, more, 60);
    CO_ASSERT_TRUE(reader.len() == 62'000u);
    CO_ASSERT_TRUE(same_entries(reader, writer));
  }());
}

TEST(CollectionsSyncNet, a_node_without_the_store_secret_never_receives_an_item) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await test::make_converged_nodes(kNet, 3, [] { return test::fast_discovery(); });
    auto with_secret = test::collection_options();
    with_secret.secret = collections::StoreSecret::from_passphrase("a7f3c9e1b5d2f8a4c6e0b9d3f7a1c5e9");
    auto wrong_secret = test::collection_options();
    wrong_secret.secret = collections::StoreSecret::from_passphrase("0000000000000000000000000000000");
    using Secrets = Map<std::string, std::string>;
    auto writer = Secrets::writer_with_options(nodes[0], StoreId("secrets"), with_secret);
    auto holder = Secrets::reader_with_options(nodes[1], StoreId("secrets"), with_secret);
    auto outsider = Secrets::reader_with_options(nodes[2], StoreId("secrets"), test::collection_options());
    auto guesser = Secrets::writer_with_options(nodes[2], StoreId("secrets"), wrong_secret);
    co_await test::timeout_s(10, writer.when().online());
    auto v = co_await test::timeout_s(10, writer.insert("launch-code", "0000"));
    CO_ASSERT_TRUE(v.has_value());
    co_await test::reaches(holder, *v);  // the control: a holder of the secret receives it
    CO_ASSERT_TRUE(holder.get("launch-code") == "0000");
    CO_ASSERT_TRUE(writer.group().id() != outsider.group().id());
    // Checking that something does NOT happen: a fixed wait is the only way.
    co_await test::pause(std::chrono::milliseconds(1500));
    CO_ASSERT_TRUE(outsider.is_empty() && outsider.group().bonds() == 0u);
    CO_ASSERT_TRUE(guesser.is_empty() && guesser.group().bonds() == 0u);
    CO_ASSERT_TRUE(writer.group().bonds() == 1u);  // only the holder
  }());
}

TEST(CollectionsSyncNet, a_reader_cut_off_after_catching_up_never_stalls_a_lone_writer) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await test::make_faultable_nodes(kNet, 2);
    const auto options = test::collection_options();
    auto writer = Table::writer_with_options(nodes[0], StoreId("cut"), options);
    auto reader = Table::reader_with_options(nodes[1], StoreId("cut"), options);
    co_await test::timeout_s(10, writer.when().online());
    Version v;
    for (std::uint64_t round = 0; round < 10; ++round) {  // caught up, round after round: a voter would be promoted
      auto written = co_await test::timeout_s(10, writer.insert(round, "before"));
      CO_ASSERT_TRUE(written.has_value());
      v = *written;
      co_await test::reaches(reader, v);
    }
    CO_ASSERT_TRUE(writer.group().bonds() == 1u);
    test::drop_outgoing(nodes[1], 1.0);  // the reader hears everything and answers nothing
    for (std::uint64_t round = 0; round < 5; ++round) {
      auto written = co_await test::timeout_s(10, writer.insert(100 + round, "after"));
      CO_ASSERT_TRUE(written.has_value());  // a reader counted in the quorum would stall it here
    }
    CO_ASSERT_TRUE(writer.len() == 15u);
  }());
}

}  // namespace
}  // namespace sync_net_test
}  // namespace mosaik
