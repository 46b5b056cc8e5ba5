#include "catalog_state.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace mosaik::discovery {
namespace catalog_state_test {
namespace {

using namespace std::chrono_literals;

const NetworkId kNet = "test-net";
constexpr Timestamp kNow{1'700'000'000'000};

struct Node {
  SecretKey key;
  PeerEntry entry;
  explicit Node(std::string_view seed, NetworkId net = kNet)
      : key(SecretKey::from_seed(seed)),
        entry(net, EndpointAddr(key.public_key(),
                                {SocketAddr(asio::ip::make_address("127.0.0.1"), 4000)})) {
    entry.set_version({kNow - 100s, kNow});
  }
  SignedPeerEntry signed_at(Timestamp update) {
    entry.set_version({entry.version().start, update});
    return SignedPeerEntry::sign(entry, key);
  }
  SignedPeerEntry signed_now() { return signed_at(kNow); }
};

struct CatalogStateTest : ::testing::Test {
  SecretKey local = SecretKey::from_seed("local");
  Config config = Config::builder().with_purge_after(60s).with_max_time_drift(10s).build().value();
  CatalogState state{kNet, local.public_key(), config};
};

TEST_F(CatalogStateTest, a_valid_signed_entry_is_discovered_then_updated) {
  Node a("a");
  EXPECT_EQ(state.merge(a.signed_now(), kNow).value(), Change::kDiscovered);
  a.entry.add_tag("validator");
  EXPECT_EQ(state.merge(a.signed_at(kNow + 1ms), kNow).value(), Change::kUpdated);
  const auto catalog = state.catalog();
  ASSERT_EQ(catalog.size(), 1u);
  EXPECT_TRUE(catalog.get(a.key.public_key())->tags().contains("validator"));
  EXPECT_TRUE(catalog.get(a.key.public_key())->is_signed());
}

TEST_F(CatalogStateTest, the_same_entry_twice_is_unchanged) {
  Node a("a");
  const auto s = a.signed_now();
  ASSERT_TRUE(state.merge(s, kNow).has_value());
  EXPECT_EQ(state.merge(s, kNow).value(), Change::kUnchanged);
}

TEST_F(CatalogStateTest, a_forged_signature_is_refused_and_counted) {
  Node a("a");
  auto forged = SignedPeerEntry::sign(a.entry, SecretKey::from_seed("mallory"));
  EXPECT_EQ(state.merge(forged, kNow).error(), Rejection::kInvalidSignature);
  EXPECT_EQ(state.rejected(Rejection::kInvalidSignature), 1u);
  EXPECT_TRUE(state.catalog().empty());
}

TEST_F(CatalogStateTest, a_tampered_entry_is_refused) {
  Node a("a");
  auto good = a.signed_now();
  PeerEntry changed = good.entry();
  changed.add_tag("admin");
  EXPECT_EQ(state.merge(SignedPeerEntry::from_parts(changed, good.signature()), kNow).error(),
            Rejection::kInvalidSignature);
}

TEST_F(CatalogStateTest, another_networks_entry_is_refused) {
  Node a("a", NetworkId("other-net"));
  EXPECT_EQ(state.merge(a.signed_now(), kNow).error(), Rejection::kDifferentNetwork);
  EXPECT_EQ(state.rejected(Rejection::kDifferentNetwork), 1u);
}

TEST_F(CatalogStateTest, an_entry_claiming_our_own_peer_id_is_refused) {
  PeerEntry me(kNet, EndpointAddr(local.public_key()));
  me.set_version({kNow, kNow});
  EXPECT_EQ(state.merge(SignedPeerEntry::sign(me, local), kNow).error(), Rejection::kOwnPeerId);
}

TEST_F(CatalogStateTest, an_older_version_replayed_is_refused) {
  Node a("a");
  const auto old = a.signed_at(kNow - 5s);
  ASSERT_TRUE(state.merge(a.signed_now(), kNow).has_value());
  EXPECT_EQ(state.merge(old, kNow).error(), Rejection::kOutdated);
  EXPECT_EQ(state.catalog().get(a.key.public_key())->version().update, kNow);
}

TEST_F(CatalogStateTest, an_entry_from_the_future_beyond_max_time_drift_is_refused) {
  Node a("a");
  EXPECT_EQ(state.merge(a.signed_at(kNow + 11s), kNow).error(), Rejection::kClockDrift);
  EXPECT_TRUE(state.merge(a.signed_at(kNow + 9s), kNow).has_value());
}

TEST_F(CatalogStateTest, an_entry_already_stale_is_refused) {
  Node a("a");
  EXPECT_EQ(state.merge(a.signed_at(kNow - 61s), kNow).error(), Rejection::kStale);
}

TEST_F(CatalogStateTest, an_entry_updated_before_it_started_is_malformed) {
  Node a("a");
  a.entry.set_version({kNow, kNow - 1s});
  EXPECT_EQ(state.merge(SignedPeerEntry::sign(a.entry, a.key), kNow).error(), Rejection::kMalformed);
}

TEST_F(CatalogStateTest, oversized_entries_are_refused) {
  Node a("a");
  for (std::size_t i = 0; i <= config.max_tags_per_entry; ++i) a.entry.add_tag(Tag::from_u64(i));
  EXPECT_EQ(state.merge(a.signed_now(), kNow).error(), Rejection::kOversized);
  Node b("b");
  for (std::size_t i = 0; i <= config.max_streams_per_entry; ++i) b.entry.add_stream(StreamId::from_u64(i));
  EXPECT_EQ(state.merge(b.signed_now(), kNow).error(), Rejection::kOversized);
  Node c("c");
  for (std::size_t i = 0; i <= config.max_groups_per_entry; ++i) c.entry.add_group(GroupId::from_u64(i));
  EXPECT_EQ(state.merge(c.signed_now(), kNow).error(), Rejection::kOversized);
  Node d("d");
  EndpointAddr many(d.key.public_key());
  for (std::uint16_t p = 1; p <= config.max_addresses_per_entry + 1; ++p) {
    many.direct_addresses.insert(SocketAddr(asio::ip::make_address("127.0.0.1"), p));
  }
  d.entry.set_addr(many);
  EXPECT_EQ(state.merge(d.signed_now(), kNow).error(), Rejection::kOversized);
  EXPECT_EQ(state.rejected(Rejection::kOversized), 4u);
}

TEST_F(CatalogStateTest, a_full_catalog_refuses_new_peers_but_updates_known_ones) {
  CatalogState small(kNet, local.public_key(),
                     Config::builder().with_max_catalog_entries(2).build().value());
  Node a("a"), b("b"), c("c");
  ASSERT_TRUE(small.merge(a.signed_now(), kNow).has_value());
  ASSERT_TRUE(small.merge(b.signed_now(), kNow).has_value());
  EXPECT_EQ(small.merge(c.signed_now(), kNow).error(), Rejection::kCatalogFull);
  EXPECT_EQ(small.merge(a.signed_at(kNow + 1ms), kNow).value(), Change::kUpdated);
  EXPECT_FALSE(small.catalog().contains(c.key.public_key()));
}

TEST_F(CatalogStateTest, stale_entries_are_purged_and_their_replays_refused) {
  Node a("a"), b("b");
  const auto a_entry = a.signed_now();
  ASSERT_TRUE(state.merge(a_entry, kNow).has_value());
  ASSERT_TRUE(state.merge(b.signed_at(kNow + 30s), kNow + 30s).has_value());
  const auto purged = state.purge(kNow + 61s);
  ASSERT_EQ(purged.size(), 1u);
  EXPECT_EQ(purged[0], a.key.public_key());
  EXPECT_FALSE(state.catalog().contains(a.key.public_key()));
  EXPECT_TRUE(state.catalog().contains(b.key.public_key()));
  // The same (old) entry gossiped again by a lagging peer does not resurrect it.
  EXPECT_FALSE(state.merge(a_entry, kNow + 61s).has_value());
  // A fresh entry from the same peer is welcome.
  EXPECT_EQ(state.merge(a.signed_at(kNow + 62s), kNow + 62s).value(), Change::kDiscovered);
}

TEST_F(CatalogStateTest, a_signed_departure_removes_the_entry_and_blocks_replays) {
  Node a("a");
  const auto entry = a.signed_now();
  ASSERT_TRUE(state.merge(entry, kNow).has_value());
  const auto dep = SignedDeparture::sign({kNet, a.key.public_key(), entry.version()}, a.key);
  EXPECT_TRUE(state.depart(dep, kNow).value());
  EXPECT_FALSE(state.catalog().contains(a.key.public_key()));
  EXPECT_EQ(state.merge(entry, kNow).error(), Rejection::kOutdated);
}

TEST_F(CatalogStateTest, a_forged_or_outdated_departure_is_refused) {
  Node a("a");
  const auto entry = a.signed_now();
  ASSERT_TRUE(state.merge(entry, kNow).has_value());
  const Departure d{kNet, a.key.public_key(), entry.version()};
  EXPECT_EQ(state.depart(SignedDeparture::sign(d, SecretKey::from_seed("mallory")), kNow).error(),
            Rejection::kInvalidSignature);
  const Departure old{kNet, a.key.public_key(), {entry.version().start, kNow - 1s}};
  EXPECT_EQ(state.depart(SignedDeparture::sign(old, a.key), kNow).error(), Rejection::kOutdated);
  const Departure elsewhere{NetworkId("other"), a.key.public_key(), entry.version()};
  EXPECT_EQ(state.depart(SignedDeparture::sign(elsewhere, a.key), kNow).error(),
            Rejection::kDifferentNetwork);
  EXPECT_TRUE(state.catalog().contains(a.key.public_key()));
}

// A departure dated ahead would otherwise block the peer's real entries until that date.
TEST_F(CatalogStateTest, a_departure_dated_beyond_max_time_drift_is_refused) {
  Node a("a");
  ASSERT_TRUE(state.merge(a.signed_now(), kNow).has_value());
  const Departure ahead{kNet, a.key.public_key(), {a.entry.version().start, kNow + 11s}};
  const auto refused = state.depart(SignedDeparture::sign(ahead, a.key), kNow);
  ASSERT_FALSE(refused.has_value()) << "the departure dated 11 s ahead was applied";
  EXPECT_EQ(refused.error(), Rejection::kClockDrift);
  EXPECT_EQ(state.rejected(Rejection::kClockDrift), 1u);
  EXPECT_TRUE(state.catalog().contains(a.key.public_key()));
  const auto refreshed = state.merge(a.signed_at(kNow + 1s), kNow + 1s);
  ASSERT_TRUE(refreshed.has_value()) << to_string(refreshed.error());
  EXPECT_EQ(*refreshed, Change::kUpdated);
}

TEST_F(CatalogStateTest, a_departure_older_than_purge_after_is_refused_as_stale) {
  Node a("a");
  const Departure old{kNet, a.key.public_key(), {kNow - 100s, kNow - 61s}};
  const auto refused = state.depart(SignedDeparture::sign(old, a.key), kNow);
  ASSERT_FALSE(refused.has_value()) << "a departure 61 s old was applied (purge_after is 60 s)";
  EXPECT_EQ(refused.error(), Rejection::kStale);
  EXPECT_EQ(state.rejected(Rejection::kStale), 1u);
  EXPECT_EQ(state.departed_count(), 0u);
}

// Departures from throwaway keys each add a row: the rows are bounded like the catalog,
// and the oldest make room.
TEST_F(CatalogStateTest, departed_peers_are_remembered_up_to_max_catalog_entries_oldest_evicted) {
  CatalogState small(kNet, local.public_key(),
                     Config::builder().with_purge_after(60s).with_max_catalog_entries(2).build().value());
  Node x("x"), y("y"), z("z"), w("w");
  auto depart_at = [&](Node& n, Timestamp update) {
    n.entry.set_version({n.entry.version().start, update});
    const Departure d{kNet, n.key.public_key(), n.entry.version()};
    return small.depart(SignedDeparture::sign(d, n.key), kNow);
  };
  ASSERT_TRUE(depart_at(x, kNow - 3s).has_value());
  ASSERT_TRUE(depart_at(y, kNow - 2s).has_value());
  ASSERT_TRUE(depart_at(z, kNow - 1s).has_value());
  EXPECT_EQ(small.departed_count(), 2u);
  // x's row went: its entry of that version is no longer a replay; y's still is.
  const auto x_again = small.merge(x.signed_at(kNow - 3s), kNow);
  ASSERT_TRUE(x_again.has_value()) << to_string(x_again.error());
  EXPECT_EQ(*x_again, Change::kDiscovered);
  const auto y_again = small.merge(y.signed_at(kNow - 2s), kNow);
  ASSERT_FALSE(y_again.has_value());
  EXPECT_EQ(y_again.error(), Rejection::kOutdated);
  // A departure older than every row held does not push a newer one out.
  ASSERT_TRUE(depart_at(w, kNow - 10s).has_value());
  EXPECT_EQ(small.departed_count(), 2u);
  const auto z_again = small.merge(z.signed_at(kNow - 1s), kNow);
  ASSERT_FALSE(z_again.has_value());
  EXPECT_EQ(z_again.error(), Rejection::kOutdated);
}

TEST_F(CatalogStateTest, unsigned_entries_are_local_and_cleared_together) {
  Node a("a"), b("b");
  ASSERT_TRUE(state.merge(a.signed_now(), kNow).has_value());
  EXPECT_EQ(state.insert_unsigned(b.entry).value(), Change::kDiscovered);
  EXPECT_EQ(state.insert_unsigned(b.entry).value(), Change::kUnchanged);
  EXPECT_FALSE(state.catalog().get(b.key.public_key())->signed_entry().has_value());
  EXPECT_TRUE(state.purge(kNow + 1000s).size() == 1);  // only the signed one ages out
  EXPECT_EQ(state.clear_unsigned(), std::vector<PeerId>{b.key.public_key()});
  EXPECT_TRUE(state.catalog().empty());
}

TEST_F(CatalogStateTest, snapshots_are_unaffected_by_later_changes) {
  Node a("a"), b("b");
  ASSERT_TRUE(state.merge(a.signed_now(), kNow).has_value());
  const Catalog before = state.catalog();
  ASSERT_TRUE(state.merge(b.signed_now(), kNow).has_value());
  EXPECT_EQ(before.size(), 1u);
  EXPECT_EQ(state.catalog().size(), 2u);
}

TEST(DiscoveryConfig, defaults_match_the_seed) {
  const Config c = Config::builder().build().value();
  EXPECT_EQ(c.announce_interval, 15s);
  EXPECT_EQ(c.announce_jitter, 0.5);
  EXPECT_EQ(c.purge_after, 300s);
  EXPECT_EQ(c.max_time_drift, 10s);
  EXPECT_EQ(c.events_backlog, 100u);
  EXPECT_EQ(c.graceful_departure_window, 500ms);
  EXPECT_EQ(c.dht_publish_interval, std::optional(std::chrono::milliseconds(300s)));
  EXPECT_EQ(c.dht_poll_interval, std::optional(std::chrono::milliseconds(60s)));
  EXPECT_EQ(c.max_catalog_entries, 10'000u);
  EXPECT_TRUE(c.bootstrap_peers.empty());
  EXPECT_TRUE(c.tags.empty());
}

TEST(DiscoveryConfig, bootstrap_and_tags_are_additive) {
  const EndpointAddr p1(SecretKey::from_seed("1").public_key()), p2(SecretKey::from_seed("2").public_key());
  const Config c = Config::builder().with_bootstrap(p1).with_bootstrap({p2}).with_tags("a")
                       .with_tags({"b", "c"}).no_auto_bootstrap().build().value();
  EXPECT_EQ(c.bootstrap_peers.size(), 2u);
  EXPECT_EQ(c.tags, (std::vector<Tag>{"a", "b", "c"}));
  EXPECT_FALSE(c.dht_publish_interval.has_value());
  EXPECT_FALSE(c.dht_poll_interval.has_value());
}

TEST(DiscoveryConfig, invalid_values_are_refused_with_a_reason) {
  EXPECT_NE(Config::builder().with_announce_jitter(1.5).build().error().message.find("jitter"),
            std::string::npos);
  EXPECT_FALSE(Config::builder().with_announce_interval(0s).build().has_value());
  EXPECT_FALSE(Config::builder().with_purge_after(10s).build().has_value());
  EXPECT_FALSE(Config::builder().with_events_backlog(0).build().has_value());
  EXPECT_FALSE(Config::builder().with_max_catalog_entries(0).build().has_value());
}

TEST(PeerEntry, signature_covers_every_field_and_survives_the_wire) {
  Node a("a");
  a.entry.add_tag("t");
  a.entry.add_stream(StreamId("s"));
  a.entry.add_group(GroupId("g"));
  const auto s = a.signed_now();
  EXPECT_TRUE(s.verify());
  const auto back = wire::decode<SignedPeerEntry>(wire::encode(s)).value();
  EXPECT_EQ(back, s);
  EXPECT_TRUE(back.verify());
  PeerEntry moved = s.entry();
  moved.set_version({moved.version().start, moved.version().update + 1ms});
  EXPECT_FALSE(SignedPeerEntry::from_parts(moved, s.signature()).verify());
}

TEST(PeerEntry, garbage_bytes_never_decode_into_an_entry_that_verifies) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 5000; ++i) {
    wire::Bytes b(rng() % 200);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    auto e = wire::decode<SignedPeerEntry>(b);
    if (e) {
      EXPECT_FALSE(e->verify());
    }
  }
}

}  // namespace
}  // namespace catalog_state_test
}  // namespace mosaik::discovery
