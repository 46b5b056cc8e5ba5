#pragma once
// GossipNode: HyParView membership and Plumtree broadcast wired together, still sans-IO.
// The active view's changes become Plumtree's neighbours; bytes from a peer are decoded
// here (a refused message is counted by reason, never trusted); every output of both
// cores comes out of take_actions(). This is what the discovery shell drives.
//
//   GossipNode node(self_addr, GossipConfig{}, seed);
//   node.join({bootstrap}, now);
//   node.receive(from, bytes, now);  node.tick(now);  node.broadcast(id, payload, now);
//   for (auto& a : node.take_actions()) shell(a);

#include <cstdint>
#include <expected>
#include <span>

#include "codec.hpp"
#include "hyparview.hpp"
#include "plumtree.hpp"

namespace mosaik::discovery::gossip {

struct GossipConfig {
  HyParViewConfig membership{};
  PlumtreeConfig broadcast{};
  WireLimits limits{};
};

class GossipNode {
 public:
  GossipNode(EndpointAddr self, GossipConfig config, std::uint64_t rng_seed);

  void join(std::span<const EndpointAddr> contacts, Instant now);
  // A peer met outside the overlay (HyParView::learn).
  void learn(const EndpointAddr& peer, Instant now);
  // `id` must be Digest::hash(payload): receivers refuse any other. `urgent`: spread at tick
  // speed (new or changed entries, departures) rather than batched at the send interval
  // (periodic refreshes). False when `id` was seen before.
  bool broadcast(const MessageId& id, wire::Bytes payload, Instant now, bool urgent);

  // Bytes of one framed message from `from`; an error says why it was refused (counted),
  // including a Gossip item whose id is not its payload's hash (check_item_ids).
  [[nodiscard]] std::expected<void, CodecError> receive(const PeerId& from,
                                                        std::span<const std::uint8_t> bytes,
                                                        Instant now);
  // An already decoded message (checked against the wire limits all the same).
  [[nodiscard]] std::expected<void, CodecError> handle(const PeerId& from, const Message& message,
                                                       Instant now);
  void peer_down(const PeerId& peer, Instant now);
  void tick(Instant now);

  [[nodiscard]] Actions take_actions();

  const HyParView& membership() const { return membership_; }
  const Plumtree& tree() const { return tree_; }
  const CodecRejections& rejections() const { return rejections_; }

 private:
  // Moves membership actions out, telling Plumtree about active-view changes on the way.
  void pump_membership(Instant now);

  GossipConfig config_;
  HyParView membership_;
  Plumtree tree_;
  CodecRejections rejections_;
  Actions actions_;
};

}  // namespace mosaik::discovery::gossip
