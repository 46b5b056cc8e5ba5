#pragma once
// The gossip protocol's messages: HyParView membership (Leitão et al. 2007, "HyParView: a
// membership protocol for reliable gossip-based broadcast") and Plumtree broadcast (Leitão
// et al. 2007, "Epidemic Broadcast Trees"). All travel in one envelope, `Message`, which
// codec.hpp encodes as [kind, body]. Every list here has a bound (wire_limits.hpp); a
// message beyond it is refused before it reaches a core.
//
//   Message m = Shuffle{origin, ttl, {a, b, c}};
//   wire::Bytes b = encode_message(m);  auto back = decode_message(b, WireLimits{});

#include <cstdint>
#include <variant>
#include <vector>

#include "mosaik/primitives/digest.hpp"
#include "mosaik/primitives/wire.hpp"
#include "mosaik/transport/endpoint_addr.hpp"

namespace mosaik::discovery::gossip {

// Identifies one broadcast payload: its BLAKE3 hash (Digest::hash), which every receiving
// GossipNode checks. The Plumtree core itself takes ids as given.
using MessageId = Digest;

// --- HyParView -------------------------------------------------------------------------

// A new node asks its contact to let it in. `sender` must name the authenticated peer.
struct Join {
  EndpointAddr sender;
  MOSAIK_WIRE_FIELDS(sender);
  bool operator==(const Join&) const = default;
};

// The contact spreads the newcomer through random walks of `ttl` hops (ARWL, PRWL).
struct ForwardJoin {
  EndpointAddr new_node;
  std::uint8_t ttl = 0;
  MOSAIK_WIRE_FIELDS(new_node, ttl);
  bool operator==(const ForwardJoin&) const = default;
};

// "Put me in your active view." High priority must be accepted (the sender has no other
// neighbour, or it is completing a join); low priority only when there is room.
struct Neighbor {
  EndpointAddr sender;
  bool high_priority = false;
  MOSAIK_WIRE_FIELDS(sender, high_priority);
  bool operator==(const Neighbor&) const = default;
};

struct NeighborReply {
  EndpointAddr sender;
  bool accepted = false;
  MOSAIK_WIRE_FIELDS(sender, accepted);
  bool operator==(const NeighborReply&) const = default;
};

// "I dropped you from my active view"; the receiver moves the sender to its passive view.
struct Disconnect {
  MOSAIK_WIRE_FIELDS();
  bool operator==(const Disconnect&) const = default;
};

// Periodic exchange that keeps passive views fresh: a random walk carrying the origin,
// some of its active and some of its passive peers.
struct Shuffle {
  EndpointAddr origin;
  std::uint8_t ttl = 0;
  std::vector<EndpointAddr> peers;
  MOSAIK_WIRE_FIELDS(origin, ttl, peers);
  bool operator==(const Shuffle&) const = default;
};

// Sent straight to the origin by the node where the walk ended.
struct ShuffleReply {
  std::vector<EndpointAddr> peers;
  MOSAIK_WIRE_FIELDS(peers);
  bool operator==(const ShuffleReply&) const = default;
};

// --- Plumtree --------------------------------------------------------------------------

// `urgent` payloads (a new node, a changed entry, a departure) are forwarded at the next
// tick; the others (periodic refreshes) wait for the link's send interval and share one
// message with whatever else is queued, which keeps the steady-state message rate flat.
struct GossipItem {
  MessageId id;
  std::uint16_t round = 0;  // hops from the origin
  bool urgent = false;
  wire::Bytes payload;
  MOSAIK_WIRE_FIELDS(id, round, urgent, payload);
  bool operator==(const GossipItem&) const = default;
};

// Eager push: every payload for this peer since the last tick, in one message.
struct Gossip {
  std::vector<GossipItem> items;
  MOSAIK_WIRE_FIELDS(items);
  bool operator==(const Gossip&) const = default;
};

struct Announcement {
  MessageId id;
  std::uint16_t round = 0;
  bool urgent = false;
  MOSAIK_WIRE_FIELDS(id, round, urgent);
  bool operator==(const Announcement&) const = default;
};

// Lazy push: ids this peer may be missing, batched per flush.
struct IHave {
  std::vector<Announcement> ids;
  MOSAIK_WIRE_FIELDS(ids);
  bool operator==(const IHave&) const = default;
};

// "Send me these and keep me on your eager path."
struct Graft {
  std::vector<MessageId> ids;
  MOSAIK_WIRE_FIELDS(ids);
  bool operator==(const Graft&) const = default;
};

// "You sent me a duplicate: move me to your lazy set."
struct Prune {
  MOSAIK_WIRE_FIELDS();
  bool operator==(const Prune&) const = default;
};

using Message = std::variant<Join, ForwardJoin, Neighbor, NeighborReply, Disconnect, Shuffle,
                             ShuffleReply, Gossip, IHave, Graft, Prune>;

}  // namespace mosaik::discovery::gossip
