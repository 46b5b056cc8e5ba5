#pragma once
// Discovery events, delivered through a broadcast with a backlog of `events_backlog`: a
// receiver that falls behind gets Lagged{n} and should re-read the catalog.
//
//   auto ev = co_await events.recv();   // expected<Event, BroadcastError>

#include <variant>

#include "mosaik/discovery/catalog.hpp"

namespace mosaik::discovery {

struct PeerDiscovered {
  CatalogEntry entry;
};
struct PeerUpdated {
  CatalogEntry entry;
};
struct PeerDeparted {
  PeerId peer_id;
};

using Event = std::variant<PeerDiscovered, PeerUpdated, PeerDeparted>;

}  // namespace mosaik::discovery
