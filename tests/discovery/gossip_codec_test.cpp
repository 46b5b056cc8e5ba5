// The gossip envelope: every kind round-trips, and every bad input is refused with its
// own counted reason, never a crash.

#include <gtest/gtest.h>

#include "gossip/codec.hpp"
#include "gossip/gossip_node.hpp"
#include "gossip_test_peers.hpp"

namespace mosaik::discovery::gossip {
namespace gossip_codec_test {
namespace {

using test::peer_addr;

std::vector<Message> one_of_each_kind() {
  const EndpointAddr a = peer_addr(1), b = peer_addr(2);
  return {Join{a},
          ForwardJoin{a, 6},
          Neighbor{a, true},
          NeighborReply{b, false},
          Disconnect{},
          Shuffle{a, 5, {a, b}},
          ShuffleReply{{b}},
          Gossip{{GossipItem{Digest("m1"), 3, true, {1, 2, 3}}, GossipItem{Digest("m2"), 0, false, {}}}},
          IHave{{Announcement{Digest("m1"), 2, false}}},
          Graft{{Digest("m1"), Digest("m2")}},
          Prune{}};
}

TEST(GossipCodec, every_message_kind_round_trips) {
  const auto messages = one_of_each_kind();
  ASSERT_EQ(messages.size(), std::variant_size_v<Message>);
  for (const auto& m : messages) {
    const auto back = decode_message(encode_message(m), WireLimits{});
    ASSERT_TRUE(back.has_value()) << "kind " << m.index() << ": " << back.error().detail;
    EXPECT_EQ(*back, m) << "kind " << m.index();
  }
}

TEST(GossipCodec, a_message_over_max_message_bytes_is_refused_before_decoding) {
  const wire::Bytes bytes = encode_message(Gossip{{GossipItem{Digest("m"), 0, false, wire::Bytes(2000, 7)}}});
  const auto r = decode_message(bytes, WireLimits{.max_message_bytes = 1000});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, CodecErrc::kOversized);
}

TEST(GossipCodec, garbage_is_malformed) {
  const wire::Bytes garbage{0xc1, 0xff, 0x00, 0x13};
  EXPECT_EQ(decode_message(garbage, WireLimits{}).error().code, CodecErrc::kMalformed);
  const wire::Bytes not_an_envelope = wire::encode(std::string("hello"));
  EXPECT_EQ(decode_message(not_an_envelope, WireLimits{}).error().code, CodecErrc::kMalformed);
  EXPECT_EQ(decode_message({}, WireLimits{}).error().code, CodecErrc::kMalformed);
}

TEST(GossipCodec, an_unknown_kind_is_refused) {
  const wire::Bytes bytes = wire::encode(std::make_tuple(std::uint8_t{200}, std::vector<int>{}));
  EXPECT_EQ(decode_message(bytes, WireLimits{}).error().code, CodecErrc::kUnknownKind);
}

TEST(GossipCodec, every_truncation_of_a_valid_message_is_refused) {
  for (const auto& m : one_of_each_kind()) {
    const wire::Bytes bytes = encode_message(m);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      const auto r = decode_message(std::span(bytes).first(n), WireLimits{});
      EXPECT_FALSE(r.has_value()) << "kind " << m.index() << " cut at " << n;
    }
  }
}

TEST(GossipCodec, a_valid_message_followed_by_trailing_bytes_is_malformed) {
  for (const auto& m : one_of_each_kind()) {
    wire::Bytes bytes = encode_message(m);
    bytes.push_back(0xc0);  // a whole msgpack nil after the envelope
    const auto r = decode_message(bytes, WireLimits{});
    ASSERT_FALSE(r.has_value()) << "kind " << m.index();
    EXPECT_EQ(r.error().code, CodecErrc::kMalformed) << "kind " << m.index();
    EXPECT_NE(r.error().detail.find("trailing"), std::string::npos) << r.error().detail;
  }
}

TEST(GossipCodec, a_body_of_the_wrong_arity_is_malformed) {
  // A Neighbor body missing its priority flag must not decode with a default.
  const wire::Bytes bytes = wire::encode(std::make_tuple(std::uint8_t{2}, std::make_tuple(peer_addr(1))));
  EXPECT_EQ(decode_message(bytes, WireLimits{}).error().code, CodecErrc::kMalformed);
}

TEST(GossipCodec, a_peer_id_that_is_not_a_valid_key_is_malformed) {
  const EndpointAddr sender = peer_addr(1);
  wire::Bytes bytes = encode_message(Join{sender});
  const auto& id = sender.id.as_bytes();
  const auto at = std::search(bytes.begin(), bytes.end(), id.begin(), id.end());
  ASSERT_NE(at, bytes.end());
  std::fill(at, at + 32, 0xff);  // not a point on the curve
  EXPECT_EQ(decode_message(bytes, WireLimits{}).error().code, CodecErrc::kMalformed);
}

TEST(GossipCodec, lists_beyond_their_bounds_are_refused) {
  const WireLimits limits{.max_shuffle_peers = 2, .max_gossip_items = 1, .max_ids = 1};
  const EndpointAddr a = peer_addr(1);
  EXPECT_EQ(decode_message(encode_message(Shuffle{a, 1, {a, a, a}}), limits).error().code,
            CodecErrc::kTooManyItems);
  EXPECT_EQ(decode_message(encode_message(ShuffleReply{{a, a, a}}), limits).error().code,
            CodecErrc::kTooManyItems);
  EXPECT_EQ(decode_message(encode_message(Gossip{{GossipItem{}, GossipItem{}}}), limits).error().code,
            CodecErrc::kTooManyItems);
  EXPECT_EQ(decode_message(encode_message(IHave{{Announcement{}, Announcement{}}}), limits).error().code,
            CodecErrc::kTooManyItems);
  EXPECT_EQ(decode_message(encode_message(Graft{{Digest{}, Digest{}}}), limits).error().code,
            CodecErrc::kTooManyItems);
}

TEST(GossipCodec, an_endpoint_with_too_many_addresses_is_refused) {
  EndpointAddr a = peer_addr(1);
  for (std::uint16_t port = 1; port <= 20; ++port) a.direct_addresses.emplace(asio::ip::make_address("10.0.0.1"), port);
  EXPECT_EQ(decode_message(encode_message(Join{a}), WireLimits{}).error().code, CodecErrc::kTooManyItems);
}

TEST(GossipCodec, an_oversized_payload_or_walk_is_refused) {
  const WireLimits limits{.max_payload_bytes = 4, .max_ttl = 6};
  EXPECT_EQ(decode_message(encode_message(Gossip{{GossipItem{Digest("m"), 0, false, wire::Bytes(5, 1)}}}), limits)
                .error()
                .code,
            CodecErrc::kPayloadTooLarge);
  EXPECT_EQ(decode_message(encode_message(ForwardJoin{peer_addr(1), 7}), limits).error().code,
            CodecErrc::kTtlTooLarge);
  EXPECT_EQ(decode_message(encode_message(Shuffle{peer_addr(1), 200, {}}), limits).error().code,
            CodecErrc::kTtlTooLarge);
}

TEST(GossipCodec, a_node_counts_each_refused_message_by_reason_and_stays_unchanged) {
  GossipNode node(peer_addr(0), GossipConfig{}, 1);
  const wire::Bytes garbage{0xc1};
  EXPECT_FALSE(node.receive(peer_addr(1).id, garbage, Instant{0}).has_value());
  const wire::Bytes unknown = wire::encode(std::make_tuple(std::uint8_t{77}, 0));
  EXPECT_FALSE(node.receive(peer_addr(1).id, unknown, Instant{0}).has_value());
  EXPECT_EQ(node.rejections()[CodecErrc::kMalformed], 1u);
  EXPECT_EQ(node.rejections()[CodecErrc::kUnknownKind], 1u);
  EXPECT_EQ(node.rejections().total(), 2u);
  EXPECT_TRUE(node.membership().active_view().empty());
  EXPECT_TRUE(node.take_actions().empty());
}

// A neighbour spends the id of a real broadcast on another payload: were it accepted, the
// real payload would later be dropped as a duplicate (departures travel only by gossip).
TEST(GossipCodec, a_gossip_item_whose_id_is_not_its_payloads_hash_is_refused_and_the_real_one_still_delivered) {
  GossipNode node(peer_addr(0), GossipConfig{}, 1);
  const wire::Bytes real{1, 2, 3};
  const wire::Bytes other{6, 6, 6};
  const MessageId id = Digest::hash(real);
  const Message forged = Gossip{{GossipItem{id, 0, true, other}}};
  const auto refused = node.receive(peer_addr(1).id, encode_message(forged), Instant{0});
  EXPECT_FALSE(refused.has_value()) << "the forged item was accepted";
  if (!refused.has_value()) {
    EXPECT_EQ(refused.error().code, CodecErrc::kIdMismatch);
  }
  // The same forgery handed over in memory (simulations, tests) is refused as well.
  EXPECT_FALSE(node.handle(peer_addr(1).id, forged, Instant{0}).has_value());
  EXPECT_EQ(node.rejections()[CodecErrc::kIdMismatch], 2u);
  EXPECT_TRUE(node.take_actions().empty());
  EXPECT_FALSE(node.tree().has_received(id));

  const Message genuine = Gossip{{GossipItem{id, 0, true, real}}};
  ASSERT_TRUE(node.receive(peer_addr(2).id, encode_message(genuine), Instant{1}).has_value());
  std::vector<wire::Bytes> delivered;
  for (const auto& action : node.take_actions()) {
    if (const auto* d = std::get_if<Deliver>(&action)) delivered.push_back(d->payload);
  }
  EXPECT_EQ(delivered, std::vector<wire::Bytes>{real});
}

}  // namespace
}  // namespace gossip_codec_test
}  // namespace mosaik::discovery::gossip
