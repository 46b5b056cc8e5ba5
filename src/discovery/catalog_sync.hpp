#pragma once
// Catalog sync (/mosaik/catalog-sync): on first contact and on sync_with(), both sides end
// up with the signed entries of both catalogs. Digests first (docs/decisions/0213): the
// dialer sends its own entry and the (id, version) of every signed entry it holds; the
// acceptor answers with the entries the dialer lacks or holds older, and names the ids it
// lacks itself; the dialer sends those in a third message. An entry travels (and is
// verified) only where it is new:
//
//   dialer   ── {network, [own entry], summary} ──►  acceptor
//   dialer   ◄── {network, entries, wanted} ───────  acceptor   (or close: DifferentNetwork)
//   dialer   ── {network, wanted entries} ────────►  acceptor   (only when `wanted` is not empty)
//
// An empty summary asks for everything (a node that knows nobody, or a peer that does not
// summarise). The network id travels in the request so that a node of another network is
// refused with DifferentNetwork before anything is merged.

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

// One signed entry a catalog holds, as a sync summary names it. The id travels as bytes: a
// summary is only compared with what we hold, so its keys need no curve check.
struct EntryVersion {
  PeerId::Bytes peer{};
  PeerEntryVersion version;
  MOSAIK_WIRE_FIELDS(peer, version);
};

// The (id, version) of every signed entry in `catalog`, in id order.
std::vector<EntryVersion> summarize(const Catalog& catalog);

// The ids of `summary` that `catalog` lacks or holds in an older version (never `self`),
// at most `max` of them.
std::vector<PeerId::Bytes> wanted_from(const Catalog& catalog, const PeerId& self,
                                       const std::vector<EntryVersion>& summary,
                                       std::size_t max = SIZE_MAX);

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
// fits in `max_bytes`, starting from the entry at `start` (modulo the number of entries to
// send) so that a catalog too large for one message is covered by successive syncs. With
// `peer_has` (the peer's summary), only entries it lacks or holds older are sent.
std::vector<SignedPeerEntry> entries_to_share(const Catalog& catalog, const SignedPeerEntry& me,
                                              std::size_t max_bytes = SIZE_MAX,
                                              std::size_t start = 0,
                                              const std::vector<EntryVersion>* peer_has = nullptr);

// The signed entries of `catalog` named in `ids` (those it holds), while their encoding fits
// in `max_bytes`.
std::vector<SignedPeerEntry> entries_named(const Catalog& catalog, const std::vector<PeerId::Bytes>& ids,
                                           std::size_t max_bytes = SIZE_MAX);

// Merges a received batch, refusing the whole batch when it holds more entries than the
// catalog could (a peer cannot make us do unbounded work).
MergeReport merge_batch(CatalogState& state, const std::vector<SignedPeerEntry>& entries,
                        Timestamp now, std::size_t max_entries);

// The entries of a merged exchange to broadcast on (docs/decisions/0218): peers we did
// not know at all, signed at least `age` before `now`. By then the peer's own broadcast
// should have reached us, so it missed us and likely the part of the tree around us, which
// an exchange repairs only for its two ends. None when we knew nobody before the exchange
// (`knew_someone` false): a joining node's first exchange brings history, not gaps. Changed
// versions are left to the next refresh (a batched refresh takes seconds to spread anyway).
// Each goes out in the form it was signed, so a node that already has the broadcast drops
// the copy as a duplicate.
std::vector<SignedPeerEntry> missed_broadcasts(const MergeReport& report, bool knew_someone,
                                               Timestamp now, Timestamp age);

}  // namespace mosaik::discovery
