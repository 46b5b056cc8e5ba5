// Departures: a node that shuts down gracefully is reported departed by every other node
// (through its signed departure, long before purge_after); a killed node, which cannot say
// goodbye, is purged once its entry is older than purge_after.

#include <gtest/gtest.h>

#include <vector>

#include "mosaik/primitives/async/block_on.hpp"
#include "node_fixture.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace departure_net_test {
namespace {

using test::make_node;
using test::until_knows;

const NetworkId kNet = "departure-net-test";

// Refreshes and purges so slow that only a departure message can remove an entry in time.
discovery::Config::Builder no_purge() {
  return discovery::Config::builder()
      .with_announce_interval(test::secs(10))
      .with_purge_after(test::secs(120))
      .with_sync_timeout(test::secs(2))
      .no_auto_bootstrap();
}

// Waits for PeerDeparted{gone} on `events` (skipping other events and Lagged).
asio::awaitable<bool> departed(BroadcastReceiver<discovery::Event>& events, PeerId gone,
                               double seconds) {
  for (int i = 0; i < 1000; ++i) {
    auto ev = co_await test::timeout_s(seconds, events.recv());
    if (!ev && std::holds_alternative<Lagged>(ev.error())) continue;
    if (!ev) co_return false;
    if (auto* d = std::get_if<discovery::PeerDeparted>(&*ev); d && d->peer_id == gone) {
      co_return true;
    }
  }
  co_return false;
}

TEST(DepartureNet, graceful_shutdown_yields_peer_departed_on_every_other_node) {
  block_on([]() -> asio::awaitable<void> {
    constexpr std::size_t kNodes = 5;
    auto nodes = co_await test::make_converged_nodes(kNet, kNodes, no_purge);
    // The last node leaves; it was nobody's bootstrap, so only gossip tells the others.
    std::vector<BroadcastReceiver<discovery::Event>> events;
    for (std::size_t i = 0; i + 1 < kNodes; ++i) events.push_back(nodes[i].discovery().events());
    const PeerId gone = nodes.back().local().id();
    nodes.pop_back();  // the last handle: graceful shutdown, departure announced
    for (std::size_t i = 0; i + 1 < kNodes; ++i) {
      EXPECT_TRUE(co_await departed(events[i], gone, 5.0)) << "node " << i;
      EXPECT_FALSE(nodes[i].discovery().catalog().contains(gone));
    }
  });
}

TEST(DepartureNet, a_departed_peer_is_not_brought_back_by_an_older_entry) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await make_node(kNet, no_purge());
    discovery::SignedPeerEntry old_entry;
    PeerId gone;
    {
      auto b = co_await make_node(kNet, no_purge().with_bootstrap(a.local().addr()));
      gone = b.local().id();
      co_await until_knows(a, gone);
      old_entry = b.discovery().me();
    }  // b shuts down gracefully
    co_await test::until_catalog(a, [gone](const discovery::Catalog& c) { return !c.contains(gone); },
                                 5.0);
    EXPECT_FALSE(a.discovery().feed(old_entry));
    EXPECT_FALSE(a.discovery().catalog().contains(gone));
  });
}

TEST(DepartureNet, a_killed_node_is_purged_after_purge_after) {
  block_on([]() -> asio::awaitable<void> {
    auto fast = [] {
      return discovery::Config::builder()
          .with_announce_interval(test::millis(200))
          .with_purge_after(test::secs(2))
          .with_sync_timeout(test::secs(1))
          .no_auto_bootstrap();
    };
    auto a = co_await make_node(kNet, fast());
    auto events = a.discovery().events();
    transport::EndpointConfig lossy;
    lossy.faults = transport::FaultConfig{};
    PeerId gone;
    {
      const std::set<SocketAddr> loopback = {SocketAddr(asio::ip::make_address("127.0.0.1"), 0)};
      auto built = co_await Network::builder(kNet)
                       .with_addresses(loopback)
                       .with_transport(lossy)
                       .with_discovery(fast().with_bootstrap(a.local().addr()))
                       .build();
      CO_ASSERT_TRUE(built.has_value());
      gone = built->local().id();
      co_await until_knows(a, gone);
      // Killed: from now on nothing it sends arrives, its departure included.
      transport::FaultConfig blackhole;
      blackhole.drop = 1.0;
      CO_ASSERT_TRUE(built->local().endpoint().set_faults(blackhole));
    }
    EXPECT_TRUE(co_await departed(events, gone, 10.0));
    EXPECT_FALSE(a.discovery().catalog().contains(gone));
  });
}

}  // namespace
}  // namespace departure_net_test
}  // namespace mosaik
