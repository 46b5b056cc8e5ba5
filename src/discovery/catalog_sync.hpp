#pragma once
// Catalog sync (/mosaik/catalog-sync): on first contact and on sync_with(), both sides send
// their whole signed catalog and merge what they receive. One request, one response:
//
//   dialer   ── SyncRequest{network, entries} ──►  acceptor
//   dialer   ◄── SyncResponse{entries} ──────────  acceptor   (or close: DifferentNetwork)
//
// The network id travels in the request so that a node of another network is refused with
// DifferentNetwork before anything is merged.

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "catalog_state.hpp"
#include "mosaik/discovery/peer_entry.hpp"

namespace mosaik::discovery {

struct SyncRequest {
  NetworkId network_id;
  std::vector<SignedPeerEntry> entries;
  MOSAIK_WIRE_FIELDS(network_id, entries);
};

struct SyncResponse {
  std::vector<SignedPeerEntry> entries;
  MOSAIK_WIRE_FIELDS(entries);
};

// What merging a batch of entries did.
struct MergeReport {
  std::size_t discovered = 0;
  std::size_t updated = 0;
  std::size_t unchanged = 0;
  std::size_t rejected = 0;
  // The first few refused entries and why, for the log.
  static constexpr std::size_t kRejectionsKept = 4;
  std::vector<std::pair<PeerId, Rejection>> rejections;
  // Discovered or updated entries, in arrival order, for events.
  std::vector<std::pair<Change, CatalogEntry>> changed;
};

// The signed entries to send: our own, then signed catalog entries while their encoding
// fits in `max_bytes`, starting from the entry at `start` (modulo the catalog size) so that
// a catalog too large for one message is covered by successive syncs.
std::vector<SignedPeerEntry> entries_to_share(const Catalog& catalog, const SignedPeerEntry& me,
                                              std::size_t max_bytes = SIZE_MAX,
                                              std::size_t start = 0);

// Merges a received batch, refusing the whole batch when it holds more entries than the
// catalog could (a peer cannot make us do unbounded work).
MergeReport merge_batch(CatalogState& state, const std::vector<SignedPeerEntry>& entries,
                        Timestamp now, std::size_t max_entries);

}  // namespace mosaik::discovery
