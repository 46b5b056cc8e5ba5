#pragma once
// What the catalog targets (fuzz_announce_payload, fuzz_catalog_sync, fuzz_departure) share:
// our identity, six remote peers with fixed keys, a small catalog configuration so that
// inputs reach its bounds, a fixed clock origin, and the checks that every state of the
// catalog must pass whatever was merged into it.
//
// A signature cannot be forged by mutation, so records may ask for the harness to re-sign
// what they carry when it names one of the fixed peers (re_sign): the rules past the
// signature check (versions, bounds, replays) are then reachable with mutated contents.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "discovery/catalog_state.hpp"
#include "discovery/departure.hpp"
#include "fuzz_check.hpp"

namespace mosaik::fuzz::catalog_harness {

using namespace std::chrono_literals;
using discovery::Timestamp;

inline constexpr std::size_t kPeers = 6;
// 2023-11-14: entries are dated around it; a record's step moves the clock by step seconds.
inline constexpr Timestamp kOrigin{1'700'000'000'000};
inline constexpr Timestamp kClockStep = 1s;

inline const NetworkId& network() {
  static const NetworkId id("fuzz-network");
  return id;
}

inline const SecretKey& local_key() {
  static const SecretKey key = SecretKey::from_seed("fuzz-catalog-local");
  return key;
}

inline const std::vector<SecretKey>& peer_keys() {
  static const auto keys = [] {
    std::vector<SecretKey> out;
    for (std::size_t i = 0; i < kPeers; ++i) out.push_back(SecretKey::from_seed("fuzz-catalog-peer-" + std::to_string(i)));
    return out;
  }();
  return keys;
}

inline discovery::Config config() {
  discovery::Config c;
  c.purge_after = 60s;
  c.max_time_drift = 10s;
  c.max_catalog_entries = 4;  // fewer than the fixed peers: "catalog full" is reachable
  c.max_tags_per_entry = 3;
  c.max_streams_per_entry = 3;
  c.max_groups_per_entry = 3;
  c.max_addresses_per_entry = 3;
  return c;
}

// The key of `peer` when it is one of ours.
inline const SecretKey* key_of(const PeerId& peer) {
  for (const auto& key : peer_keys()) {
    if (key.public_key() == peer) return &key;
  }
  if (local_key().public_key() == peer) return &local_key();
  return nullptr;
}

inline void re_sign(discovery::SignedPeerEntry& entry) {
  if (const SecretKey* key = key_of(entry.peer_id())) entry = discovery::SignedPeerEntry::sign(entry.entry(), *key);
}

inline void re_sign(discovery::SignedDeparture& departure) {
  if (const SecretKey* key = key_of(departure.departure.peer_id)) {
    departure = discovery::SignedDeparture::sign(departure.departure, *key);
  }
}

// A real entry of fixed peer `i`: what that node would sign at `at`.
inline discovery::SignedPeerEntry entry_of(std::size_t i, Timestamp start, Timestamp at) {
  const SecretKey& key = peer_keys()[i % kPeers];
  const SocketAddr address(asio::ip::make_address("10.1.0." + std::to_string(i)), 4000);
  discovery::PeerEntry e(network(), EndpointAddr(key.public_key(), {address}));
  e.add_tag(Tag("validator"));
  if (i % 2 == 0) e.add_stream(StreamId("prices"));
  e.set_version({start, at});
  return discovery::SignedPeerEntry::sign(std::move(e), key);
}

inline discovery::SignedDeparture departure_of(std::size_t i, Timestamp start, Timestamp at) {
  const SecretKey& key = peer_keys()[i % kPeers];
  return discovery::SignedDeparture::sign({network(), key.public_key(), {start, at}}, key);
}

// What must hold of the catalog after any input: within its bound, and every entry one that
// merge() would accept from a peer (for our network, not us, within the size limits,
// consistent versions, and, when `signatures` (costly: once per input), signed by its owner).
inline void check_catalog(const discovery::CatalogState& state, const discovery::Config& c,
                          bool signatures) {
  const auto catalog = state.catalog();
  MOSAIK_FUZZ_CHECK(catalog.size() <= c.max_catalog_entries);
  for (const auto& [id, entry] : catalog) {
    MOSAIK_FUZZ_CHECK(entry.peer_id() == id);
    MOSAIK_FUZZ_CHECK(id != local_key().public_key());
    MOSAIK_FUZZ_CHECK(entry.is_signed());
    if (signatures) MOSAIK_FUZZ_CHECK(entry.signed_entry()->verify());
    MOSAIK_FUZZ_CHECK(entry.entry().network_id() == network());
    MOSAIK_FUZZ_CHECK(entry.tags().size() <= c.max_tags_per_entry);
    MOSAIK_FUZZ_CHECK(entry.streams().size() <= c.max_streams_per_entry);
    MOSAIK_FUZZ_CHECK(entry.groups().size() <= c.max_groups_per_entry);
    MOSAIK_FUZZ_CHECK(entry.addr().direct_addresses.size() <= c.max_addresses_per_entry);
    MOSAIK_FUZZ_CHECK(entry.version().start <= entry.version().update);
  }
}

}  // namespace mosaik::fuzz::catalog_harness
