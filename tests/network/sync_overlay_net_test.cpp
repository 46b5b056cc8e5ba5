// Nodes joined only by discovery().sync_with(addr) (the seed's manual discovery, Quick Start
// step 7) must join the announce gossip overlay: later changes reach the other node by
// gossip, and periodic refreshes keep each one fresh in the other's catalog (issue 14, 5).

#include <gtest/gtest.h>

#include "mosaik/primitives/async/block_on.hpp"
#include "node_fixture.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace sync_overlay_net_test {
namespace {

using test::make_node;
using test::until_catalog;
using test::until_knows;

const NetworkId kNet = "sync-overlay-net-test";

struct Tick {
  std::uint64_t n = 0;
  MSGPACK_DEFINE(n);
  static constexpr std::string_view stream_name = "sync-overlay/tick";
};

// No bootstrap peers, no DHT: sync_with is the only contact between the nodes.
discovery::Config::Builder sync_only(std::chrono::milliseconds interval,
                                     std::chrono::milliseconds purge_after) {
  return discovery::Config::builder()
      .with_announce_interval(interval)
      .with_purge_after(purge_after)
      .with_sync_timeout(test::secs(2))
      .no_auto_bootstrap();
}

// Whether `events` reported `peer` departed (fails on a lag: it could have been missed).
bool saw_departure(BroadcastReceiver<discovery::Event>& events, const PeerId& peer) {
  for (std::size_t i = 0; i < 100'000; ++i) {
    auto ev = events.try_recv();
    if (!ev) {
      EXPECT_FALSE(std::holds_alternative<Lagged>(ev.error())) << "events lagged";
      return false;
    }
    if (const auto* gone = std::get_if<discovery::PeerDeparted>(&*ev);
        gone && gone->peer_id == peer) {
      return true;
    }
  }
  return false;
}

TEST(SyncOverlay, nodes_joined_only_by_sync_with_gossip_changes_and_keep_each_other_fresh) {
  block_on([]() -> asio::awaitable<void> {
    const auto interval = test::millis(500);
    const auto purge_after = 3 * interval;
    auto a = co_await make_node(kNet, sync_only(interval, purge_after));
    auto b = co_await make_node(kNet, sync_only(interval, purge_after));
    auto a_events = a.discovery().events();
    auto b_events = b.discovery().events();
    const PeerId aid = a.local().id();
    const PeerId bid = b.local().id();
    auto synced = co_await b.discovery().sync_with(a.local().addr());
    CO_ASSERT_TRUE(synced.has_value());
    co_await until_knows(a, bid);
    co_await until_knows(b, aid);
    const double two_intervals_s = 2 * std::chrono::duration<double>(interval).count();

    // A tag change after the sync reaches the other node through the gossip.
    const auto started = std::chrono::steady_clock::now();
    const auto elapsed_ms = [started] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now() - started)
          .count();
    };
    b.discovery().add_tags("late-tag");
    co_await until_catalog(
        a,
        [bid](const discovery::Catalog& c) {
          return c.contains(bid) && c.get(bid)->tags().contains("late-tag");
        },
        two_intervals_s);
    fmt::print("tag change arrived {} ms after it was made\n", elapsed_ms());

    // So does a producer created after the sync.
    const auto produced_at_ms = elapsed_ms();
    auto producer = a.streams().produce<Tick>();
    const auto stream = producer.stream_id();
    co_await until_catalog(
        b,
        [aid, stream](const discovery::Catalog& c) {
          return c.contains(aid) && c.get(aid)->streams().contains(stream);
        },
        two_intervals_s);
    fmt::print("new producer arrived {} ms after it was created\n", elapsed_ms() - produced_at_ms);

    // Refreshes keep arriving: each node sees the other's entry re-signed more than two
    // purge_after later than now, and neither is ever purged meanwhile.
    const auto fresh_until = [](const Network& n, const PeerId& peer) {
      return n.discovery().catalog().get(peer)->version().update;
    };
    const auto a_target = fresh_until(b, aid) + 2 * purge_after;
    const auto b_target = fresh_until(a, bid) + 2 * purge_after;
    const double wait_s = std::chrono::duration<double>(2 * purge_after + 2 * interval).count();
    co_await until_catalog(
        b,
        [aid, a_target](const discovery::Catalog& c) {
          return c.contains(aid) && c.get(aid)->version().update >= a_target;
        },
        wait_s);
    co_await until_catalog(
        a,
        [bid, b_target](const discovery::Catalog& c) {
          return c.contains(bid) && c.get(bid)->version().update >= b_target;
        },
        wait_s);
    EXPECT_FALSE(saw_departure(a_events, bid));
    EXPECT_FALSE(saw_departure(b_events, aid));
  });
}

}  // namespace
}  // namespace sync_overlay_net_test
}  // namespace mosaik
