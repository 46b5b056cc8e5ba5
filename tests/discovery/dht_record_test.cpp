// The DHT bootstrap record (src/discovery/dht/record.*): encoding, defensive decoding,
// merging ourselves in, staleness and eviction. Sans-IO: no DHT, no sockets.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "dht/record.hpp"
#include "mosaik/discovery/config.hpp"

namespace mosaik::discovery::dht {
namespace {

constexpr std::uint64_t kNow = 1'700'000'000;

SocketAddr v4(const char* ip, std::uint16_t port) {
  return SocketAddr(asio::ip::make_address(ip), port);
}

RecordPeer peer(std::uint8_t n, std::uint32_t known, std::uint64_t updated = kNow) {
  RecordPeer p;
  // Real public keys: decoding refuses 32 bytes that are not an Ed25519 point.
  p.id = SecretKey::from_seed("dht-record-peer-" + std::to_string(n)).public_key();
  p.addresses = {v4("10.0.0.1", static_cast<std::uint16_t>(4000 + n))};
  p.known_peers = known;
  p.updated_s = updated;
  return p;
}

std::span<const std::uint8_t> span_of(const wire::Bytes& b) { return {b.data(), b.size()}; }

TEST(DhtRecord, round_trips) {
  Record r;
  r.peers = {peer(1, 3), peer(2, 0)};
  r.peers[1].addresses.push_back(SocketAddr(asio::ip::make_address("::1"), 9));
  const auto bytes = encode_record(r);
  const auto back = decode_record(span_of(bytes));
  EXPECT_FALSE(back.unreadable);
  EXPECT_EQ(back.malformed, 0u);
  EXPECT_EQ(back.record, r);
  EXPECT_EQ(back.record.peers[1].endpoint().direct_addresses.size(), 2u);
}

TEST(DhtRecord, twelve_peers_fit_in_one_item) {
  std::mt19937_64 rng(1);
  Record r;
  for (std::uint8_t i = 1; i <= 11; ++i) r.peers.push_back(peer(i, i));
  const auto merged = merge_self(r, peer(50, 1), kNow, RecordPolicy{}, rng);
  EXPECT_EQ(merged.record.peers.size(), 12u);
  EXPECT_TRUE(merged.evicted.empty());
  EXPECT_LE(encode_record(merged.record).size(), MainlineDht::kMaxValueBytes);
}

TEST(DhtRecord, self_is_added_once_and_refreshed) {
  std::mt19937_64 rng(1);
  Record r;
  r.peers = {peer(1, 1), peer(7, 2, kNow - 100)};
  auto me = peer(7, 5);
  me.addresses = {v4("10.0.0.9", 1234)};
  const auto merged = merge_self(r, me, kNow, RecordPolicy{}, rng);
  ASSERT_EQ(merged.record.peers.size(), 2u);
  std::size_t mine = 0;
  for (const auto& p : merged.record.peers) {
    if (p.id == me.id) {
      ++mine;
      EXPECT_EQ(p, me);
    }
  }
  EXPECT_EQ(mine, 1u);
}

TEST(DhtRecord, a_full_record_evicts_the_least_connected) {
  std::mt19937_64 rng(7);
  Record r;
  for (std::uint8_t i = 1; i <= 12; ++i) r.peers.push_back(peer(i, 10 + i));
  r.peers[4].known_peers = 2;  // peer 5 is the least connected
  const auto merged = merge_self(r, peer(60, 0), kNow, RecordPolicy{}, rng);
  EXPECT_EQ(merged.record.peers.size(), 12u);
  ASSERT_EQ(merged.evicted.size(), 1u);
  EXPECT_EQ(merged.evicted[0].id, peer(5, 0).id);
  // The newcomer is kept even though it knows nobody yet: eviction picks among the others.
  EXPECT_EQ(merged.record.peers.back().id, peer(60, 0).id);
}

TEST(DhtRecord, ties_are_broken_randomly_and_only_among_the_least_connected) {
  Record r;
  for (std::uint8_t i = 1; i <= 12; ++i) r.peers.push_back(peer(i, i <= 4 ? 1 : 9));
  std::set<PeerId> victims;
  for (std::uint64_t seed = 0; seed < 64; ++seed) {
    std::mt19937_64 rng(seed);
    const auto merged = merge_self(r, peer(70, 0), kNow, RecordPolicy{}, rng);
    ASSERT_EQ(merged.evicted.size(), 1u);
    EXPECT_EQ(merged.evicted[0].known_peers, 1u);
    victims.insert(merged.evicted[0].id);
  }
  EXPECT_GT(victims.size(), 1u);  // not always the same peer
  EXPECT_LE(victims.size(), 4u);
}

TEST(DhtRecord, the_byte_budget_evicts_before_the_peer_count_does) {
  std::mt19937_64 rng(3);
  Record r;
  for (std::uint8_t i = 1; i <= 11; ++i) {
    auto p = peer(i, i);
    p.addresses.clear();
    for (std::uint16_t a = 1; a <= 4; ++a) {
      p.addresses.push_back(SocketAddr(asio::ip::make_address("2001:db8::1"), static_cast<std::uint16_t>(a + i * 10)));
    }
    r.peers.push_back(p);
  }
  const auto merged = merge_self(r, peer(80, 0), kNow, RecordPolicy{}, rng);
  EXPECT_LE(encode_record(merged.record).size(), MainlineDht::kMaxValueBytes);
  EXPECT_FALSE(merged.evicted.empty());
  EXPECT_LT(merged.record.peers.size(), 12u);
  // The least connected went first.
  for (const auto& gone : merged.evicted) {
    for (const auto& kept : merged.record.peers) {
      if (kept.id != peer(80, 0).id) {
        EXPECT_LE(gone.known_peers, kept.known_peers);
      }
    }
  }
}

TEST(DhtRecord, stale_and_future_entries_are_dropped) {
  std::mt19937_64 rng(1);
  RecordPolicy policy;
  policy.max_age = std::chrono::seconds(600);
  Record r;
  r.peers = {peer(1, 1, kNow - 601), peer(2, 1, kNow - 599), peer(3, 1, kNow + 3600)};
  const auto merged = merge_self(r, peer(9, 0), kNow, policy, rng);
  EXPECT_EQ(merged.expired, 2u);
  ASSERT_EQ(merged.record.peers.size(), 2u);
  EXPECT_EQ(merged.record.peers[0].id, peer(2, 0).id);
  EXPECT_TRUE(merged.evicted.empty());
}

TEST(DhtRecord, make_record_peer_bounds_and_filters_addresses) {
  std::set<SocketAddr> addrs;
  for (std::uint16_t p = 1; p <= 8; ++p) addrs.insert(v4("10.1.1.1", p));
  addrs.insert(v4("0.0.0.0", 5));
  EndpointAddr a(peer(1, 0).id, addrs);
  const auto rp = make_record_peer(a, 3, kNow);
  EXPECT_EQ(rp.addresses.size(), 4u);
  for (const auto& s : rp.addresses) EXPECT_FALSE(s.address().is_unspecified());
  EXPECT_EQ(rp.known_peers, 3u);
  EXPECT_EQ(rp.updated_s, kNow);
}

// Hand-built records: msgpack arrays written with the raw packer.
struct Sink {
  wire::Bytes& out;
  void write(const char* d, std::size_t n) { out.insert(out.end(), d, d + n); }
};

void pack_peer(msgpack::packer<Sink>& pk, const RecordPeer& p) {
  pk.pack_array(4);
  pk.pack(p.id);
  pk.pack(p.addresses);
  pk.pack(p.known_peers);
  pk.pack(p.updated_s);
}

TEST(DhtRecord, malformed_entries_are_ignored_and_counted) {
  wire::Bytes bytes;
  Sink sink{bytes};
  msgpack::packer<Sink> pk(sink);
  pk.pack_array(2);
  pk.pack(1);
  pk.pack_array(7);
  pack_peer(pk, peer(1, 1));  // good
  pk.pack(std::string("not a peer"));
  pk.pack_array(4);  // a 3-byte peer id
  pk.pack_bin(3);
  pk.pack_bin_body("abc", 3);
  pk.pack(std::vector<SocketAddr>{v4("10.0.0.1", 1)});
  pk.pack(1);
  pk.pack(kNow);
  auto no_addr = peer(2, 1);
  no_addr.addresses.clear();
  pack_peer(pk, no_addr);
  auto port_zero = peer(3, 1);
  port_zero.addresses = {v4("10.0.0.1", 0)};
  pack_peer(pk, port_zero);
  auto too_many = peer(4, 1);
  for (std::uint16_t i = 1; i <= 5; ++i) too_many.addresses.push_back(v4("10.0.0.2", i));
  too_many.addresses.erase(too_many.addresses.begin());
  too_many.addresses.push_back(v4("10.0.0.3", 1));
  pack_peer(pk, too_many);
  pack_peer(pk, peer(5, 1));  // good
  const auto read = decode_record(span_of(bytes));
  EXPECT_FALSE(read.unreadable);
  EXPECT_EQ(read.malformed, 5u);
  ASSERT_EQ(read.record.peers.size(), 2u);
  EXPECT_EQ(read.record.peers[0].id, peer(1, 0).id);
  EXPECT_EQ(read.record.peers[1].id, peer(5, 0).id);
}

TEST(DhtRecord, unreadable_values_are_reported_not_thrown) {
  const wire::Bytes garbage = {0xc1, 0x00, 0xff};
  EXPECT_TRUE(decode_record(span_of(garbage)).unreadable);
  EXPECT_TRUE(decode_record({}).unreadable);
  // Another version of the format.
  wire::Bytes other;
  Sink s1{other};
  msgpack::packer<Sink> p1(s1);
  p1.pack_array(2);
  p1.pack(2);
  p1.pack_array(0);
  EXPECT_TRUE(decode_record(span_of(other)).unreadable);
  // A claimed array length far beyond the input.
  const wire::Bytes huge = {0x92, 0x01, 0xdd, 0x7f, 0xff, 0xff, 0xff};
  EXPECT_TRUE(decode_record(span_of(huge)).unreadable);
  // More bytes than an item can hold.
  Record big;
  for (std::uint8_t i = 1; i <= 24; ++i) big.peers.push_back(peer(i, 1));
  const auto big_bytes = encode_record(big);
  ASSERT_GT(big_bytes.size(), MainlineDht::kMaxValueBytes);
  EXPECT_TRUE(decode_record(span_of(big_bytes)).unreadable);
}

TEST(DhtRecord, a_record_followed_by_trailing_bytes_is_unreadable) {
  Record r;
  r.peers = {peer(1, 3)};
  wire::Bytes bytes = encode_record(r);
  ASSERT_FALSE(decode_record(span_of(bytes)).unreadable);
  bytes.push_back(0xc0);  // a whole msgpack nil after the record
  const auto read = decode_record(span_of(bytes));
  EXPECT_TRUE(read.unreadable);
  EXPECT_TRUE(read.record.peers.empty());
}

TEST(DhtRecord, entries_beyond_twice_the_limit_are_ignored_and_duplicates_keep_the_newest) {
  RecordPolicy policy;
  policy.max_peers = 3;  // at most 6 entries read
  Record r;
  for (std::uint8_t i = 1; i <= 8; ++i) r.peers.push_back(peer(i, 1));
  r.peers[1] = peer(1, 4, kNow + 5);  // a newer duplicate of peer 1
  const auto bytes = encode_record(r);
  const auto read = decode_record(span_of(bytes), policy);
  EXPECT_EQ(read.malformed, 3u);  // two beyond the bound, one duplicate
  ASSERT_EQ(read.record.peers.size(), 5u);
  for (const auto& p : read.record.peers) {
    if (p.id == peer(1, 0).id) {
      EXPECT_EQ(p.known_peers, 4u);
    }
  }
}

TEST(DhtRecord, random_bytes_never_crash_the_decoder) {
  std::mt19937_64 rng(42);
  Record r;
  for (std::uint8_t i = 1; i <= 12; ++i) r.peers.push_back(peer(i, i));
  const auto valid = encode_record(r);
  for (int round = 0; round < 3000; ++round) {
    wire::Bytes b = valid;
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int f = 0; f < flips; ++f) b[rng() % b.size()] = static_cast<std::uint8_t>(rng());
    if (round % 3 == 0) b.resize(rng() % b.size());
    const auto read = decode_record(span_of(b));
    EXPECT_LE(read.record.peers.size(), 24u);
  }
}

TEST(DhtRecord, the_item_key_derives_from_the_network_id_alone) {
  const auto a = network_item_key(NetworkId("net-a"));
  EXPECT_EQ(a.seed, network_item_key(NetworkId("net-a")).seed);
  EXPECT_EQ(a.salt, network_item_key(NetworkId("net-a")).salt);
  EXPECT_NE(a.seed, network_item_key(NetworkId("net-b")).seed);
  EXPECT_NE(a.salt, network_item_key(NetworkId("net-b")).salt);
  EXPECT_EQ(a.salt.size(), 16u);
}

TEST(DhtRecord, with_a_network_secret_the_item_key_needs_the_secret) {
  const NetworkId net("net-a");
  const auto secret = NetworkSecret::from_passphrase("members only");
  const auto open = network_item_key(net);
  const auto keyed = network_item_key(net, secret);
  // Without a secret the key is what every earlier node computed from the name alone.
  EXPECT_EQ(open.seed, net.derive("mosaik/dht-bootstrap/v1/ed25519-seed").as_bytes());
  // With one, neither where the record is (salt, and the public key from the seed) nor who
  // may sign it can be computed from the name.
  EXPECT_NE(keyed.seed, open.seed);
  EXPECT_NE(keyed.salt, open.salt);
  EXPECT_EQ(keyed.salt.size(), 16u);
  EXPECT_EQ(keyed.seed, network_item_key(net, secret).seed);
  EXPECT_EQ(keyed.salt, network_item_key(net, secret).salt);
  const auto other_secret = network_item_key(net, NetworkSecret::from_passphrase("a guess"));
  EXPECT_NE(keyed.seed, other_secret.seed);
  EXPECT_NE(keyed.salt, other_secret.salt);
  const auto other_net = network_item_key(NetworkId("net-b"), secret);
  EXPECT_NE(keyed.seed, other_net.seed);
  EXPECT_NE(keyed.salt, other_net.salt);
}

TEST(DhtRecord, polling_is_aggressive_until_a_peer_is_known) {
  using std::chrono::seconds;
  EXPECT_EQ(next_poll_delay(false, seconds(60)), seconds(5));
  EXPECT_EQ(next_poll_delay(true, seconds(60)), seconds(60));
  EXPECT_EQ(next_poll_delay(false, seconds(1)), seconds(1));
}

}  // namespace
}  // namespace mosaik::discovery::dht

namespace mosaik::discovery {
namespace {

TEST(DhtConfig, routers_and_bind_are_configurable_and_checked) {
  const SocketAddr bind(asio::ip::make_address("127.0.0.1"), 7000);
  auto cfg = Config::builder()
                 .with_dht_routers({"127.0.0.1:6881", "router.example:6881"})
                 .with_dht_bind(bind)
                 .build();
  ASSERT_TRUE(cfg.has_value());
  EXPECT_EQ(cfg->dht_routers.size(), 2u);
  EXPECT_EQ(cfg->dht_bind, bind);
  EXPECT_FALSE(Config::builder().with_dht_routers({"no-port"}).build().has_value());
  EXPECT_FALSE(Config::builder().with_dht_routers({"host:12x"}).build().has_value());
  EXPECT_FALSE(Config::builder().with_dht_operation_timeout(std::chrono::milliseconds(0)).build().has_value());
  // Both intervals default on; no_auto_bootstrap turns both off.
  const auto defaults = Config::builder().build().value();
  EXPECT_EQ(defaults.dht_publish_interval, std::chrono::milliseconds(300'000));
  EXPECT_EQ(defaults.dht_poll_interval, std::chrono::milliseconds(60'000));
  const auto off = Config::builder().no_auto_bootstrap().build().value();
  EXPECT_FALSE(off.dht_publish_interval.has_value());
  EXPECT_FALSE(off.dht_poll_interval.has_value());
}

}  // namespace
}  // namespace mosaik::discovery
