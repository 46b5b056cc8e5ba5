// DHT bootstrap over real sockets, never the internet: a local Mainline DHT of a few
// libtorrent nodes on 127.0.0.1, and mosaik nodes with no bootstrap peer whose DHT is
// pointed at it. They must find each other through the network's record alone.
#include <gtest/gtest.h>

#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <memory>
#include <string>
#include <vector>

#include "../../src/discovery/dht/bootstrap.hpp"
#include "../../src/discovery/dht/mainline.hpp"
#include "../../src/discovery/dht/record.hpp"
#include "../../src/discovery/service.hpp"
#include "mosaik/primitives/async/block_on.hpp"
#include "node_fixture.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace {

using discovery::dht::MainlineDht;
using discovery::dht::MainlineOptions;

const SocketAddr kLoopbackAny(asio::ip::make_address("127.0.0.1"), 0);

// A Mainline DHT of `size` libtorrent nodes on 127.0.0.1, each told about the ones before
// it. Completions are posted to `executor` (the test's event loop).
class LocalDht {
 public:
  LocalDht(asio::any_io_executor executor, int size) {
    std::vector<std::string> known;
    for (int i = 0; i < size; ++i) {
      MainlineOptions o;
      o.listen = "127.0.0.1:0";
      o.nodes = known;
      o.post = [executor](std::function<void()> f) { asio::post(executor, std::move(f)); };
      auto node = MainlineDht::start(std::move(o));
      if (!node) throw std::runtime_error("local DHT node failed: " + node.error());
      known.push_back("127.0.0.1:" + std::to_string((*node)->port()));
      nodes_.push_back(std::move(*node));
    }
    addresses_ = std::move(known);
  }
  // The routers mosaik nodes enter through: the first two nodes.
  std::vector<std::string> routers() const { return {addresses_.at(0), addresses_.at(1)}; }
  const std::vector<std::string>& addresses() const { return addresses_; }

 private:
  std::vector<std::shared_ptr<MainlineDht>> nodes_;
  std::vector<std::string> addresses_;
};

discovery::Config::Builder dht_discovery(const std::vector<std::string>& routers) {
  return discovery::Config::builder()
      .with_announce_interval(test::millis(200))
      .with_purge_after(test::secs(3))
      .with_sync_timeout(test::secs(2))
      .with_dht_poll_interval(test::millis(500))
      .with_dht_publish_interval(test::millis(500))
      .with_dht_routers(routers)
      .with_dht_bind(kLoopbackAny)
      .with_dht_operation_timeout(test::secs(5));
}

const discovery::dht::DhtBootstrap& bootstrap_of(const Network& n) {
  const auto& dht = n.discovery().service()->dht_bootstrap();
  if (!dht) throw std::runtime_error("the node runs no DHT bootstrap");
  return *dht;
}

asio::awaitable<void> until_all_know_each_other(const std::vector<Network>& nodes, double seconds) {
  const std::size_t others = nodes.size() - 1;
  for (const auto& n : nodes) {
    co_await test::until_catalog(
        n, [others](const discovery::Catalog& c) { return c.size() == others; }, seconds);
  }
}

TEST(DhtNet, three_nodes_without_bootstrap_peers_find_each_other_through_the_dht) {
  block_on([]() -> asio::awaitable<void> {
    LocalDht local(co_await asio::this_coro::executor, 5);
    const auto routers = local.routers();
    std::vector<Network> nodes;
    for (int i = 0; i < 3; ++i) nodes.push_back(co_await test::make_node("dht-net-test", dht_discovery(routers)));
    for (const auto& n : nodes) CO_ASSERT_TRUE(n.discovery().service()->dht_bootstrap() != nullptr);
    co_await until_all_know_each_other(nodes, 30);
    std::uint64_t dials = 0;
    std::uint64_t publishes = 0;
    for (const auto& n : nodes) {
      dials += bootstrap_of(n).stats().dials;
      publishes += bootstrap_of(n).stats().publishes;
      EXPECT_GT(bootstrap_of(n).stats().polls, 0u);
      EXPECT_NE(bootstrap_of(n).port(), 0);
    }
    EXPECT_GT(dials, 0u);       // someone found someone in the record
    EXPECT_GT(publishes, 0u);   // and someone wrote it
  });
}

TEST(DhtNet, networks_sharing_one_dht_stay_apart) {
  block_on([]() -> asio::awaitable<void> {
    LocalDht local(co_await asio::this_coro::executor, 4);
    const auto routers = local.routers();
    std::vector<Network> one;
    std::vector<Network> two;
    for (int i = 0; i < 2; ++i) {
      one.push_back(co_await test::make_node("dht-net-one", dht_discovery(routers)));
      two.push_back(co_await test::make_node("dht-net-two", dht_discovery(routers)));
    }
    co_await until_all_know_each_other(one, 30);
    co_await until_all_know_each_other(two, 30);
    for (const auto& n : one) {
      for (const auto& m : two) EXPECT_FALSE(n.discovery().catalog().contains(m.local().id()));
    }
  });
}

// Completes with the value a MainlineDht callback delivers, or nullopt after `limit`.
template <class T>
asio::awaitable<std::optional<T>> callback_result(std::function<void(std::function<void(T)>)> start,
                                                  std::chrono::milliseconds limit) {
  struct State {
    explicit State(asio::any_io_executor ex) : timer(std::move(ex)) {}
    asio::steady_timer timer;
    std::optional<T> value;
  };
  auto state = std::make_shared<State>(co_await asio::this_coro::executor);
  start([state](T v) {
    state->value = std::move(v);
    state->timer.cancel();
  });
  if (!state->value) {
    state->timer.expires_after(limit);
    std::error_code ec;
    co_await state->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return std::move(state->value);
}

TEST(DhtNet, a_garbage_record_is_ignored_counted_and_replaced) {
  block_on([]() -> asio::awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    LocalDht local(executor, 5);
    // Someone who knows the network id writes garbage under its key.
    MainlineOptions o;
    o.listen = "127.0.0.1:0";
    o.routers = local.routers();
    o.post = [executor](std::function<void()> f) { asio::post(executor, std::move(f)); };
    auto vandal = MainlineDht::start(std::move(o));
    CO_ASSERT_TRUE(vandal.has_value());
    const auto key = discovery::dht::network_item_key(NetworkId("dht-net-garbage"));
    std::shared_ptr<MainlineDht> writer = *vandal;
    // Callables are named before co_await: g++ 12 destroys temporaries in a co_await twice.
    std::function<void(std::function<void(discovery::dht::MainlinePut)>)> put_garbage =
        [writer, key](std::function<void(discovery::dht::MainlinePut)> done) {
          writer->put(key, [](const std::optional<std::string>&) { return std::string("\xc1garbage", 8); },
                      std::move(done));
        };
    const auto limit = test::secs(10);
    auto written = co_await callback_result<discovery::dht::MainlinePut>(put_garbage, limit);
    CO_ASSERT_TRUE(written.has_value());
    CO_ASSERT_TRUE(written->written);

    std::vector<Network> nodes;
    for (int i = 0; i < 2; ++i) {
      nodes.push_back(co_await test::make_node("dht-net-garbage", dht_discovery(local.routers())));
    }
    co_await until_all_know_each_other(nodes, 30);
    std::uint64_t malformed = 0;
    for (const auto& n : nodes) malformed += bootstrap_of(n).stats().malformed_entries;
    EXPECT_GT(malformed, 0u);

    // The record now decodes: it lists the nodes, and nothing of the garbage.
    std::function<void(std::function<void(discovery::dht::MainlineGet)>)> get_record =
        [writer, key](std::function<void(discovery::dht::MainlineGet)> done) {
          writer->get(key, std::move(done));
        };
    auto read = co_await callback_result<discovery::dht::MainlineGet>(get_record, limit);
    CO_ASSERT_TRUE(read.has_value());
    CO_ASSERT_TRUE(read->found);
    const auto* data = reinterpret_cast<const std::uint8_t*>(read->value.data());
    const auto record = discovery::dht::decode_record(std::span<const std::uint8_t>(data, read->value.size()));
    EXPECT_FALSE(record.unreadable);
    EXPECT_EQ(record.malformed, 0u);
    EXPECT_GE(record.record.peers.size(), 1u);
  });
}

TEST(DhtNet, a_poll_only_node_finds_the_publishers_and_is_never_listed) {
  block_on([]() -> asio::awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    LocalDht local(executor, 5);
    const auto routers = local.routers();
    std::vector<Network> nodes;
    for (int i = 0; i < 2; ++i) nodes.push_back(co_await test::make_node("dht-net-poll-only", dht_discovery(routers)));
    auto poll_only = dht_discovery(routers).with_dht_publish_interval(std::nullopt);
    nodes.push_back(co_await test::make_node("dht-net-poll-only", std::move(poll_only)));
    co_await until_all_know_each_other(nodes, 30);
    EXPECT_EQ(bootstrap_of(nodes[2]).stats().publishes, 0u);

    MainlineOptions o;
    o.listen = "127.0.0.1:0";
    o.routers = routers;
    o.post = [executor](std::function<void()> f) { asio::post(executor, std::move(f)); };
    auto reader = MainlineDht::start(std::move(o));
    CO_ASSERT_TRUE(reader.has_value());
    std::shared_ptr<MainlineDht> r = *reader;
    const auto key = discovery::dht::network_item_key(NetworkId("dht-net-poll-only"));
    std::function<void(std::function<void(discovery::dht::MainlineGet)>)> get_record =
        [r, key](std::function<void(discovery::dht::MainlineGet)> done) { r->get(key, std::move(done)); };
    const auto limit = test::secs(10);
    auto read = co_await callback_result<discovery::dht::MainlineGet>(get_record, limit);
    CO_ASSERT_TRUE(read.has_value());
    CO_ASSERT_TRUE(read->found);
    const auto* data = reinterpret_cast<const std::uint8_t*>(read->value.data());
    const auto record = discovery::dht::decode_record(std::span<const std::uint8_t>(data, read->value.size()));
    EXPECT_FALSE(record.record.peers.empty());
    for (const auto& p : record.record.peers) EXPECT_NE(p.id, nodes[2].local().id());
  });
}

TEST(DhtNet, no_auto_bootstrap_starts_no_dht) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::make_node("dht-net-off");
    EXPECT_EQ(a.discovery().service()->dht_bootstrap(), nullptr);
    auto publish_only = test::fast_discovery().with_dht_publish_interval(test::secs(60))
                            .with_dht_routers(std::vector<std::string>{})
                            .with_dht_bind(kLoopbackAny);
    auto b = co_await test::make_node("dht-net-off", std::move(publish_only));
    EXPECT_NE(b.discovery().service()->dht_bootstrap(), nullptr);
  });
}

TEST(DhtNet, the_tests_never_use_the_public_routers) {
  // tests/support/test_main.cpp sets MOSAIK_DHT_ROUTERS (empty) before any test runs.
  EXPECT_TRUE(discovery::default_dht_routers().empty());
  EXPECT_TRUE(discovery::Config{}.dht_routers.empty());
}

}  // namespace
}  // namespace mosaik
