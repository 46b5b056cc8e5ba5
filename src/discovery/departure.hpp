#pragma once
// A graceful departure: "peer P, at version V, is leaving network N", signed by P. Others
// remove P's entry (if not newer than V) and refuse replays of entries up to V.

#include "mosaik/discovery/peer_entry.hpp"

namespace mosaik::discovery {

struct Departure {
  NetworkId network_id;
  PeerId peer_id;
  PeerEntryVersion version;
  MOSAIK_WIRE_FIELDS(network_id, peer_id, version);
};

struct SignedDeparture {
  Departure departure;
  Signature signature;
  MOSAIK_WIRE_FIELDS(departure, signature);

  static SignedDeparture sign(const Departure& d, const SecretKey& key);
  [[nodiscard]] bool verify() const;
};

}  // namespace mosaik::discovery
