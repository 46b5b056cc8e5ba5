#pragma once
// Bounds on what one gossip message may carry. The codec refuses a message beyond them
// (counted by reason); the cores clip anything beyond their own configured sizes too, so a
// core driven directly (tests, simulation) obeys the same bounds.

#include <cstddef>

namespace mosaik::discovery::gossip {

struct WireLimits {
  std::size_t max_message_bytes = 4 * 1024 * 1024;  // a whole encoded message
  std::size_t max_shuffle_peers = 16;               // entries in Shuffle / ShuffleReply
  std::size_t max_addresses_per_peer = 16;          // direct addresses of one EndpointAddr
  std::size_t max_gossip_items = 256;               // payloads in one Gossip
  std::size_t max_payload_bytes = 1024 * 1024;      // one payload
  std::size_t max_ids = 1024;                       // ids in one IHave or Graft
  std::size_t max_ttl = 16;                         // ForwardJoin / Shuffle walk length
};

}  // namespace mosaik::discovery::gossip
