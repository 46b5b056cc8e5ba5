#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <vector>

#include "mosaik/primitives/async/block_on.hpp"
#include "node_fixture.hpp"
#include "support/co_assert.hpp"
#include "../../src/discovery/service.hpp"

namespace mosaik {
namespace discovery_net_test {
namespace {

using test::make_node;
using test::until_knows;

const NetworkId kNet = "discovery-net-test";

TEST(DiscoveryNet, two_nodes_discover_each_other_both_ways) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await make_node(kNet);
    auto b = co_await make_node(kNet);
    auto synced = co_await b.discovery().sync_with(a.local().addr());
    EXPECT_TRUE(synced.has_value()) << synced.error().message;
    co_await until_knows(a, b.local().id());
    co_await until_knows(b, a.local().id());
    const auto entry = *b.discovery().catalog().get(a.local().id());
    EXPECT_TRUE(entry.is_signed());
    EXPECT_EQ(entry.addr(), a.local().addr());
  });
}

TEST(DiscoveryNet, three_nodes_find_each_other_through_one_bootstrap) {
  block_on([]() -> asio::awaitable<void> {
    auto boot = co_await make_node(kNet);
    auto b = co_await make_node(kNet, test::fast_discovery().with_bootstrap(boot.local().addr()));
    auto c = co_await make_node(kNet, test::fast_discovery().with_bootstrap(boot.local().addr()));
    for (const Network* n : {&boot, &b, &c}) {
      co_await test::until_catalog(*n, [](const discovery::Catalog& cat) { return cat.size() == 2; });
    }
    EXPECT_TRUE(b.discovery().catalog().contains(c.local().id()));
    EXPECT_TRUE(c.discovery().catalog().contains(b.local().id()));
  });
}

TEST(DiscoveryNet, a_tag_change_reaches_the_other_node) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await make_node(kNet);
    auto b = co_await make_node(kNet, test::fast_discovery().with_bootstrap(a.local().addr()));
    co_await until_knows(a, b.local().id());
    b.discovery().add_tags("matcher");
    EXPECT_TRUE(b.discovery().me().entry().tags().contains("matcher"));
    const PeerId bid = b.local().id();
    co_await test::until_catalog(a, [bid](const discovery::Catalog& c) {
      return c.contains(bid) && c.get(bid)->tags().contains("matcher");
    }, 1.0);
  });
}

TEST(DiscoveryNet, discovery_events_report_the_new_peer) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await make_node(kNet);
    auto events = a.discovery().events();
    auto b = co_await make_node(kNet, test::fast_discovery().with_bootstrap(a.local().addr()));
    auto ev = co_await test::timeout_s(10, events.recv());
    CO_ASSERT_TRUE(ev.has_value());
    CO_ASSERT_TRUE(std::holds_alternative<discovery::PeerDiscovered>(*ev));
    EXPECT_EQ(std::get<discovery::PeerDiscovered>(*ev).entry.peer_id(), b.local().id());
  });
}

TEST(DiscoveryNet, two_networks_on_one_machine_never_see_each_other) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await make_node("network-one");
    auto b = co_await make_node("network-two",
                                test::fast_discovery().with_bootstrap(a.local().addr()));
    auto synced = co_await b.discovery().sync_with(a.local().addr());
    CO_ASSERT_FALSE(synced.has_value());
    EXPECT_EQ(synced.error().kind, discovery::Error::Kind::kDifferentNetwork);
    // A third node of network one keeps the first company; network two stays alone.
    auto c = co_await make_node("network-one", test::fast_discovery().with_bootstrap(a.local().addr()));
    co_await until_knows(a, c.local().id());
    EXPECT_TRUE(b.discovery().catalog().empty());
    EXPECT_FALSE(a.discovery().catalog().contains(b.local().id()));
  });
}

TEST(DiscoveryNet, a_stopped_node_is_purged_and_reported_departed) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await make_node(kNet);
    auto events = a.discovery().events();
    PeerId gone;
    {
      auto b = co_await make_node(kNet, test::fast_discovery().with_bootstrap(a.local().addr()));
      gone = b.local().id();
      co_await until_knows(a, gone);
    }
    // Refreshes of b's entry come first (some may be dropped as Lagged); the departure
    // is the last event about b.
    bool departed = false;
    for (int i = 0; i < 1000 && !departed; ++i) {
      auto ev = co_await test::timeout_s(10, events.recv());
      if (!ev && std::holds_alternative<Lagged>(ev.error())) continue;
      CO_ASSERT_TRUE(ev.has_value());
      if (auto* d = std::get_if<discovery::PeerDeparted>(&*ev)) departed = d->peer_id == gone;
    }
    EXPECT_FALSE(a.discovery().catalog().contains(gone));
    EXPECT_TRUE(departed);
  });
}

TEST(DiscoveryNet, garbage_on_the_sync_protocol_closes_that_link_only) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await make_node(kNet);
    auto b = co_await make_node(kNet);
    auto conn = co_await b.local().endpoint().connect(a.local().addr(), "/mosaik/catalog-sync");
    CO_ASSERT_TRUE(conn.has_value());
    auto raw = co_await conn->open_link();
    CO_ASSERT_TRUE(raw.has_value());
    const wire::Bytes garbage = {0xc1, 0xc1, 0xc1};
    CO_ASSERT_TRUE((co_await raw->send_frame(garbage)).has_value());
    auto reply = co_await test::timeout_s(5, raw->recv_frame());
    CO_ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().reason, transport::close_reason::ProtocolViolation);
    // The node still serves honest peers.
    auto synced = co_await b.discovery().sync_with(a.local().addr());
    EXPECT_TRUE(synced.has_value());
  });
}

TEST(DiscoveryNet, a_forged_entry_in_a_sync_is_refused_and_counted) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await make_node(kNet);
    auto b = co_await make_node(kNet);
    const auto victim = SecretKey::from_seed("victim");
    discovery::PeerEntry fake(kNet, EndpointAddr(victim.public_key()));
    const auto now = std::chrono::duration_cast<discovery::Timestamp>(
        std::chrono::system_clock::now().time_since_epoch());
    fake.set_version({now, now});
    const auto forged = discovery::SignedPeerEntry::sign(fake, SecretKey::from_seed("mallory"));
    using Link = transport::Link<discovery::detail::CatalogSyncMessage>;
    auto link = co_await Link::open(b.local().endpoint(), a.local().addr());
    CO_ASSERT_TRUE(link.has_value());
    const discovery::detail::CatalogSyncMessage message{kNet, {forged, b.discovery().me()}};
    CO_ASSERT_TRUE((co_await link->send(message)).has_value());
    auto reply = co_await test::timeout_s(5, link->recv());
    CO_ASSERT_TRUE(reply.has_value());
    link->close(transport::close_reason::Success);
    EXPECT_FALSE(a.discovery().catalog().contains(victim.public_key()));
    EXPECT_TRUE(a.discovery().catalog().contains(b.local().id()));
    EXPECT_EQ(a.discovery().service()->rejected(discovery::Rejection::kInvalidSignature), 1u);
  });
}

// Digests first (docs/decisions/0213): a request's summary keeps what the dialer already
// holds out of the reply, and the acceptor asks for the entries it lacks.
TEST(DiscoveryNet, a_sync_reply_carries_only_what_the_summary_lacks_and_asks_for_the_rest) {
  block_on([]() -> asio::awaitable<void> {
    using discovery::EntryVersion;
    using discovery::detail::CatalogSyncMessage;
    auto a = co_await make_node(kNet);
    auto b = co_await make_node(kNet);
    auto c = co_await make_node(kNet);
    CO_ASSERT_TRUE((co_await c.discovery().sync_with(a.local().addr())).has_value());
    const auto held = *a.discovery().catalog().get(c.local().id());
    // An entry only b's request names: a lacks it and must ask for it.
    const auto stranger = SecretKey::from_seed("known-to-b-only");
    discovery::PeerEntry extra(kNet, EndpointAddr(stranger.public_key()));
    const auto now = std::chrono::duration_cast<discovery::Timestamp>(
        std::chrono::system_clock::now().time_since_epoch());
    extra.set_version({now, now});
    const auto signed_extra = discovery::SignedPeerEntry::sign(extra, stranger);

    auto link = co_await transport::Link<CatalogSyncMessage>::open(b.local().endpoint(), a.local().addr());
    CO_ASSERT_TRUE(link.has_value());
    const CatalogSyncMessage request{kNet,
                                     {b.discovery().me()},
                                     {EntryVersion{b.local().id().as_bytes(), b.discovery().me().version()},
                                      EntryVersion{c.local().id().as_bytes(), held.version()},
                                      EntryVersion{stranger.public_key().as_bytes(), extra.version()}},
                                     {}};
    CO_ASSERT_TRUE((co_await link->send(request)).has_value());
    auto reply = co_await test::timeout_s(5, link->recv());
    CO_ASSERT_TRUE(reply.has_value());
    // a's own entry only: b's and c's are named at the versions a holds.
    CO_ASSERT_TRUE(reply->entries.size() == 1u);
    EXPECT_EQ(reply->entries[0].peer_id(), a.local().id());
    CO_ASSERT_TRUE(reply->wanted.size() == 1u);
    EXPECT_EQ(reply->wanted[0], stranger.public_key().as_bytes());
    const CatalogSyncMessage more{kNet, {signed_extra}, {}, {}};
    CO_ASSERT_TRUE((co_await link->send(more)).has_value());
    // a closes the link once it has them.
    auto closed = co_await test::timeout_s(5, link->recv());
    CO_ASSERT_FALSE(closed.has_value());
    EXPECT_EQ(closed.error().reason, transport::close_reason::Success) << closed.error().message;
    EXPECT_TRUE(a.discovery().catalog().contains(stranger.public_key()));
    EXPECT_TRUE(a.discovery().catalog().contains(b.local().id()));
  });
}

TEST(DiscoveryNet, a_silent_peer_costs_one_task_until_the_sync_timeout) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await make_node(kNet, test::fast_discovery().with_sync_timeout(test::millis(300)));
    auto b = co_await make_node(kNet);
    auto conn = co_await b.local().endpoint().connect(a.local().addr(), "/mosaik/catalog-sync");
    CO_ASSERT_TRUE(conn.has_value());
    auto raw = co_await conn->open_link();
    CO_ASSERT_TRUE(raw.has_value());
    // Open the stream with an empty write of nothing decodable yet: say nothing more.
    const wire::Bytes partial = {0x00, 0x00};  // half a frame header
    CO_ASSERT_TRUE((co_await raw->send_framed(partial)).has_value());
    auto closed = co_await test::timeout_s(5, raw->recv_frame());
    EXPECT_FALSE(closed.has_value());  // a gave up on us
    // Meanwhile a kept serving others.
    auto c = co_await make_node(kNet);
    EXPECT_TRUE((co_await c.discovery().sync_with(a.local().addr())).has_value());
  });
}

TEST(DiscoveryNet, local_unsigned_entries_and_feed) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await make_node(kNet);
    const auto other = SecretKey::from_seed("fed");
    discovery::PeerEntry e(kNet, EndpointAddr(other.public_key()));
    const auto now = std::chrono::duration_cast<discovery::Timestamp>(
        std::chrono::system_clock::now().time_since_epoch());
    e.set_version({now, now});
    a.discovery().insert(e);
    EXPECT_TRUE(a.discovery().catalog().contains(other.public_key()));
    a.discovery().clear_unsigned();
    EXPECT_FALSE(a.discovery().catalog().contains(other.public_key()));
    EXPECT_TRUE(a.discovery().feed(discovery::SignedPeerEntry::sign(e, other)));
    EXPECT_FALSE(a.discovery().feed(discovery::SignedPeerEntry::sign(e, SecretKey::from_seed("x"))));
    EXPECT_TRUE(a.discovery().remove(other.public_key()));
    co_return;
  });
}

using discovery::detail::CatalogSyncMessage;
using SyncLink = transport::Link<CatalogSyncMessage>;

discovery::Timestamp wall_clock_now() {
  return std::chrono::duration_cast<discovery::Timestamp>(
      std::chrono::system_clock::now().time_since_epoch());
}

// Every inbound slot is held by an exchange that never sends its request (half a frame
// header, then nothing); an honest request more is closed unanswered, not served.
TEST(DiscoveryNet, a_catalog_sync_beyond_max_inbound_syncs_is_cancelled_unanswered) {
  block_on([]() -> asio::awaitable<void> {
    using discovery::detail::DiscoveryService;
    auto a = co_await make_node(kNet, test::fast_discovery().with_sync_timeout(test::secs(30)));
    auto b = co_await make_node(kNet);
    auto conn = co_await b.local().endpoint().connect(a.local().addr(),
                                                      std::string(CatalogSyncMessage::alpn));
    CO_ASSERT_TRUE(conn.has_value());
    std::vector<transport::RawLink> silent;
    for (std::size_t i = 0; i < DiscoveryService::kMaxInboundSyncs; ++i) {
      auto raw = co_await conn->open_link();
      CO_ASSERT_TRUE(raw.has_value());
      const wire::Bytes half_a_header = {0x00, 0x00};
      CO_ASSERT_TRUE((co_await raw->send_framed(half_a_header)).has_value());
      silent.push_back(std::move(*raw));
    }
    auto raw = co_await conn->open_link();
    CO_ASSERT_TRUE(raw.has_value());
    SyncLink link(std::move(*raw));
    const CatalogSyncMessage request{kNet, {b.discovery().me()}};
    CO_ASSERT_TRUE((co_await link.send(request)).has_value());
    auto reply = co_await test::timeout_s(10, link.recv());
    CO_ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().reason, transport::close_reason::Cancelled) << reply.error().message;
    EXPECT_FALSE(a.discovery().catalog().contains(b.local().id()));
  });
}

// Every slot is held as above; a new connection then is closed whole (nothing of it is being
// served), so refused dialers do not pile connections on a busy node until each closes its own.
TEST(DiscoveryNet, a_new_catalog_sync_connection_beyond_max_inbound_syncs_is_closed_whole) {
  block_on([]() -> asio::awaitable<void> {
    using discovery::detail::DiscoveryService;
    auto a = co_await make_node(kNet, test::fast_discovery().with_sync_timeout(test::secs(30)));
    auto b = co_await make_node(kNet);
    auto c = co_await make_node(kNet);
    auto conn = co_await b.local().endpoint().connect(a.local().addr(),
                                                      std::string(CatalogSyncMessage::alpn));
    CO_ASSERT_TRUE(conn.has_value());
    std::vector<transport::RawLink> silent;
    for (std::size_t i = 0; i < DiscoveryService::kMaxInboundSyncs; ++i) {
      auto raw = co_await conn->open_link();
      CO_ASSERT_TRUE(raw.has_value());
      const wire::Bytes half_a_header = {0x00, 0x00};
      CO_ASSERT_TRUE((co_await raw->send_framed(half_a_header)).has_value());
      silent.push_back(std::move(*raw));
    }
    for (int i = 0; i < 500 && a.discovery().service()->inbound_syncs() < DiscoveryService::kMaxInboundSyncs; ++i) {
      co_await sleep_for(std::chrono::milliseconds(10));
    }
    CO_ASSERT_TRUE(a.discovery().service()->inbound_syncs() == DiscoveryService::kMaxInboundSyncs);
    auto other = co_await c.local().endpoint().connect(a.local().addr(), std::string(CatalogSyncMessage::alpn));
    CO_ASSERT_TRUE(other.has_value());
    // The connection ends with Cancelled from a, without c opening or sending anything.
    auto ended = co_await test::timeout_s(10, other->accept_link());
    CO_ASSERT_FALSE(ended.has_value());
    EXPECT_EQ(ended.error().reason, transport::close_reason::Cancelled) << ended.error().message;
    EXPECT_TRUE(ended.error().remote);
    // c's exchange fails the same way; the held slots keep their connection.
    EXPECT_FALSE((co_await c.discovery().sync_with(a.local().addr())).has_value());
    EXPECT_EQ(a.discovery().service()->inbound_syncs(), DiscoveryService::kMaxInboundSyncs);
  });
}

// Connections count too: kMaxInboundSyncs dialers that connect and say nothing hold every
// slot; the endpoint refuses the next at its ClientHello (busy, before the handshake's
// work, so a mass join's excess holds nothing), and a freed slot takes it.
TEST(DiscoveryNet, a_catalog_sync_connection_beyond_max_inbound_syncs_is_refused_as_busy_before_the_handshake) {
  block_on([]() -> asio::awaitable<void> {
    using discovery::detail::DiscoveryService;
    auto a = co_await make_node(kNet, test::fast_discovery().with_sync_timeout(test::secs(30)));
    std::vector<transport::Endpoint> dialers;
    std::vector<transport::Connection> held;
    for (std::size_t i = 0; i <= DiscoveryService::kMaxInboundSyncs; ++i) {
      auto endpoint = transport::Endpoint::bind(SecretKey::generate(), transport::EndpointConfig{});
      CO_ASSERT_TRUE(endpoint.has_value());
      dialers.push_back(std::move(*endpoint));
    }
    for (std::size_t i = 0; i < DiscoveryService::kMaxInboundSyncs; ++i) {
      auto conn = co_await dialers[i].connect(a.local().addr(), std::string(CatalogSyncMessage::alpn));
      CO_ASSERT_TRUE(conn.has_value());
      held.push_back(std::move(*conn));
    }
    auto other = co_await test::timeout_s(5, dialers.back().connect(a.local().addr(), std::string(CatalogSyncMessage::alpn)));
    CO_ASSERT_FALSE(other.has_value());
    EXPECT_EQ(other.error().kind, transport::ConnectError::Kind::kBusy) << other.error().message;
    EXPECT_LE(a.local().endpoint().open_connections(), DiscoveryService::kMaxInboundSyncs);
    // One held connection goes: its slot is free again (once a has seen the close; every
    // refusal before that is answered at once).
    held.front().close(transport::close_reason::Success);
    bool connected = false;
    for (int i = 0; i < 100 && !connected; ++i) {
      auto again = co_await test::timeout_s(5, dialers.back().connect(a.local().addr(), std::string(CatalogSyncMessage::alpn)));
      connected = again.has_value();
      if (!connected) co_await sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(connected);
  });
}

// The acceptor's check alone: a request naming another network gets no catalog back.
TEST(DiscoveryNet, a_sync_request_from_another_network_is_closed_unanswered_with_different_network) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await make_node(kNet);
    auto b = co_await make_node(kNet);
    auto link = co_await SyncLink::open(b.local().endpoint(), a.local().addr());
    CO_ASSERT_TRUE(link.has_value());
    const CatalogSyncMessage request{NetworkId("another-network"), {}};
    CO_ASSERT_TRUE((co_await link->send(request)).has_value());
    auto reply = co_await test::timeout_s(10, link->recv());
    CO_ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().reason, transport::close_reason::DifferentNetwork) << reply.error().message;
  });
}

// A fake acceptor (a bare endpoint) answers any request with a reply that names another
// network and carries a validly signed entry of ours.
asio::awaitable<void> reply_from_another_network(transport::Connection conn,
                                                 discovery::SignedPeerEntry planted) {
  auto link = co_await SyncLink::accept(conn);
  if (!link) co_return;
  if (!co_await link->recv()) co_return;
  const CatalogSyncMessage reply{NetworkId("another-network"), {planted}};
  if (!co_await link->send(reply)) co_return;
  (void)co_await link->recv();  // held until the dialer closes it
}

// The dialer's check alone: such a reply fails the sync and nothing of it is merged.
TEST(DiscoveryNet, a_sync_reply_from_another_network_fails_with_different_network_and_is_not_merged) {
  block_on([]() -> asio::awaitable<void> {
    const auto stranger = SecretKey::generate();
    discovery::PeerEntry entry(kNet, EndpointAddr(stranger.public_key()));
    entry.set_version({wall_clock_now(), wall_clock_now()});
    const auto planted = discovery::SignedPeerEntry::sign(entry, stranger);
    auto fake = transport::Endpoint::bind(SecretKey::generate(), transport::EndpointConfig{});
    CO_ASSERT_TRUE(fake.has_value());
    fake->register_alpn(std::string(CatalogSyncMessage::alpn), [planted](transport::Connection conn) {
      auto executor = conn.executor();
      asio::co_spawn(executor, reply_from_another_network(std::move(conn), planted), asio::detached);
    });
    auto a = co_await make_node(kNet);
    auto synced = co_await a.discovery().sync_with(fake->addr());
    CO_ASSERT_FALSE(synced.has_value());
    EXPECT_EQ(synced.error().kind, discovery::Error::Kind::kDifferentNetwork) << synced.error().message;
    EXPECT_FALSE(a.discovery().catalog().contains(stranger.public_key()));
  });
}

}  // namespace
}  // namespace discovery_net_test
}  // namespace mosaik
