// A node that crashes and starts again at once with the same key on a new port (what a node
// with a data dir does on every deploy) must stay in its peers' catalogs at its new address:
// its refreshes have to reach them although they still hold the dead process's connections
// and gossip links, which look open until the idle timeout (3.5 s).
#include <gtest/gtest.h>

#include <asio/experimental/awaitable_operators.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <vector>

#include "mosaik/mosaik.hpp"
#include "node_fixture.hpp"
#include "support/co_assert.hpp"

namespace mosaik::test {
namespace restarted_node_net_test {
namespace {

const NetworkId kNet = "restarted-node-test";

// A node whose packets can be dropped from one moment on: a crash that says goodbye to nobody.
asio::awaitable<Network> crashable_node(const SecretKey& key, const EndpointAddr& bootstrap) {
  const std::set<SocketAddr> loopback = {SocketAddr(asio::ip::make_address("127.0.0.1"), 0)};
  transport::EndpointConfig transport;
  transport.faults = transport::FaultConfig{};  // present, inactive until the crash
  auto builder = Network::builder(kNet);
  builder.with_addresses(loopback)
      .with_relay_mode(RelayMode::kDisabled)
      .with_transport(transport)
      .with_secret_key(key)
      .with_discovery(fast_discovery().with_bootstrap(bootstrap).with_graceful_departure_window(millis(0)));
  auto built = co_await builder.build();
  if (!built) throw std::runtime_error("node failed to start: " + built.error().message);
  co_return std::move(*built);
}

void crash(std::optional<Network>& node) {
  transport::FaultConfig blackhole;
  blackhole.drop = 1.0;
  ASSERT_TRUE(node->local().endpoint().set_faults(blackhole));
  node.reset();
}

discovery::Timestamp wall_now() {
  return std::chrono::duration_cast<discovery::Timestamp>(std::chrono::system_clock::now().time_since_epoch());
}

// `node` holds `peer` at `addr`, in an entry it signed at `signed_after` or later: its
// refreshes still arrive then. (Not a coroutine itself: g++ 12 destroyed a by-value
// parameter holding a vector twice.)
asio::awaitable<void> until_fresh_at(const Network& node, EndpointAddr addr, discovery::Timestamp signed_after,
                                     double seconds, std::source_location where = std::source_location::current()) {
  return until_catalog(
      node,
      [addr, signed_after](const discovery::Catalog& c) {
        const auto* e = c.get(addr.id);
        return e != nullptr && e->addr() == addr && e->version().update >= signed_after;
      },
      seconds, where);
}

// Whether `node`'s catalog lost one of `peers` (purged it) within `window`. `peers` must
// outlive the wait.
asio::awaitable<bool> loses_one_within(const Network& node, const std::vector<PeerId>& peers,
                                       std::chrono::milliseconds window) {
  auto watch = node.discovery().catalog_watch();
  auto lost = co_await with_timeout(watch.wait_until([&peers](const discovery::Catalog& c) {
    return std::any_of(peers.begin(), peers.end(), [&](const PeerId& p) { return !c.contains(p); });
  }), window);
  co_return lost.has_value();
}

TEST(RestartedNode, stays_in_every_catalog_at_its_new_address_when_it_restarts_before_its_peers_notice_the_crash) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await make_node(kNet, fast_discovery());
    auto b = co_await make_node(kNet, fast_discovery().with_bootstrap(a.local().addr()));
    const auto key = SecretKey::generate();
    std::optional<Network> c = co_await crashable_node(key, a.local().addr());
    const EndpointAddr old_addr = c->local().addr();
    co_await until_fresh_at(a, old_addr, wall_now(), 10);
    co_await until_fresh_at(b, old_addr, wall_now(), 10);

    crash(c);
    c = co_await crashable_node(key, a.local().addr());
    const EndpointAddr new_addr = c->local().addr();
    CO_ASSERT_TRUE(new_addr.id == old_addr.id && new_addr != old_addr);
    co_await until_knows(*c, a.local().id(), 5);
    co_await until_knows(*c, b.local().id(), 5);
    // Past the idle timeout that ends the dead connections (3.5 s) and past purge_after (3 s),
    // nobody purges anybody: the restarted node's refreshes reach the others, and theirs reach it.
    const std::vector<PeerId> restarted{new_addr.id};
    const std::vector<PeerId> others{a.local().id(), b.local().id()};
    const auto window = std::chrono::milliseconds(5000);
    auto a_loses = loses_one_within(a, restarted, window);
    auto b_loses = loses_one_within(b, restarted, window);
    auto c_loses = loses_one_within(*c, others, window);
    using namespace asio::experimental::awaitable_operators;
    const auto [a_lost, b_lost, c_lost] = co_await (std::move(a_loses) && std::move(b_loses) && std::move(c_loses));
    EXPECT_FALSE(a_lost) << "the bootstrap node purged the restarted node";
    EXPECT_FALSE(b_lost) << "the other node purged the restarted node";
    EXPECT_FALSE(c_lost) << "the restarted node purged a peer";
    // Each holds the others at their current addresses, in entries signed just now.
    const auto now = wall_now();
    co_await until_fresh_at(a, new_addr, now, 3);
    co_await until_fresh_at(b, new_addr, now, 3);
    co_await until_fresh_at(*c, a.local().addr(), now, 3);
    co_await until_fresh_at(*c, b.local().addr(), now, 3);
  });
}

}  // namespace
}  // namespace restarted_node_net_test
}  // namespace mosaik::test
