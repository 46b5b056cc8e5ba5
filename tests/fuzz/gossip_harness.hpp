#pragma once
// The gossip node fuzz_gossip drives, and the neighbours it hears from: fixed identities
// (keys from fixed seeds) and small view and queue sizes, so that inputs reach the bounds.
// The seed capture (seeds_gossip.cpp) runs nodes of the same shape.
//
// Record ops (fuzz_records.hpp): bits 0-2 pick the neighbour, bits 3-4 the action; the
// step moves the clock by step * 10 ms first.

#include <array>
#include <cstdint>
#include <string>

#include "discovery/gossip/gossip_node.hpp"

namespace mosaik::fuzz::gossip_harness {

namespace gossip = discovery::gossip;

inline constexpr std::size_t kNeighbours = 8;
inline constexpr std::uint64_t kRngSeed = 7;
inline constexpr gossip::Instant kClockStep{10};

enum class Action : std::uint8_t {
  kReceive = 0,    // the bytes are a framed message from the neighbour
  kPeerDown = 1,   // the shell lost the neighbour
  kBroadcast = 2,  // we broadcast the bytes (urgent when the neighbour index is odd)
  kTick = 3,
};

inline std::uint8_t op(Action action, std::size_t neighbour) {
  return static_cast<std::uint8_t>(static_cast<std::uint8_t>(action) << 3 | (neighbour % kNeighbours));
}
inline Action action_of(std::uint8_t op) { return static_cast<Action>((op >> 3) & 3); }
inline std::size_t neighbour_of(std::uint8_t op) { return op % kNeighbours; }

inline EndpointAddr address(std::string_view seed, std::uint8_t host) {
  const SecretKey key = SecretKey::from_seed(seed);
  const SocketAddr at(asio::ip::make_address("10.0.0." + std::to_string(host)), 4000);
  return EndpointAddr(key.public_key(), {at});
}

inline const EndpointAddr& self() {
  static const EndpointAddr addr = address("fuzz-gossip-self", 1);
  return addr;
}

inline const std::array<EndpointAddr, kNeighbours>& neighbours() {
  static const auto all = [] {
    std::array<EndpointAddr, kNeighbours> out;
    for (std::size_t i = 0; i < kNeighbours; ++i) {
      out[i] = address("fuzz-gossip-peer-" + std::to_string(i), static_cast<std::uint8_t>(2 + i));
    }
    return out;
  }();
  return all;
}

inline gossip::GossipConfig config() {
  gossip::GossipConfig c;
  c.membership.active_view_size = 3;
  c.membership.passive_view_size = 5;
  c.membership.shuffle_active_peers = 2;
  c.membership.shuffle_passive_peers = 2;
  c.membership.shuffle_interval = gossip::Instant(500);
  c.broadcast.max_received_ids = 64;
  c.broadcast.store = {gossip::Instant(3000), 16, 4096};
  c.broadcast.max_missing_ids = 16;
  c.broadcast.max_announcers_per_id = 2;
  c.broadcast.max_queued_per_peer = 8;
  c.broadcast.max_gossip_items = 4;
  c.broadcast.max_gossip_bytes = 4096;
  c.broadcast.max_ids_per_message = 8;
  c.limits.max_message_bytes = 16 * 1024;
  c.limits.max_shuffle_peers = 8;
  c.limits.max_addresses_per_peer = 4;
  c.limits.max_gossip_items = 8;
  c.limits.max_payload_bytes = 4096;
  c.limits.max_ids = 16;
  c.limits.max_ttl = 8;
  return c;
}

}  // namespace mosaik::fuzz::gossip_harness
