#pragma once
// CatalogState: the rules of discovery's catalog, with no I/O. Every entry that arrives
// (gossip, sync, feed, departure) goes through merge()/depart(), which either changes the
// catalog or says exactly why not; purge() ages entries out. The discovery shell turns the
// results into events and catalog snapshots. Time is passed in, never read.

#include <array>
#include <cstdint>
#include <expected>
#include <map>
#include <string_view>
#include <vector>

#include "mosaik/discovery/catalog.hpp"
#include "mosaik/discovery/config.hpp"
#include "departure.hpp"

namespace mosaik::discovery {

// Why an incoming entry or departure was refused. Each is counted.
enum class Rejection : std::uint8_t {
  kDifferentNetwork,  // signed for another network id
  kInvalidSignature,  // not signed by the key it names
  kOwnPeerId,         // claims to be us: our entry is ours to write
  kClockDrift,        // dated further in the future than max_time_drift allows
  kMalformed,         // e.g. updated before it started
  kOversized,         // more tags/streams/groups/addresses than the limits
  kOutdated,          // older than what we hold (or a departed version replayed)
  kStale,             // already older than purge_after
  kCatalogFull,       // a new peer while the catalog holds max_catalog_entries
  kOverfullAnnouncement,  // an announcement carrying more than one entry or departure
  kCount
};
[[nodiscard]] std::string_view to_string(Rejection r);

enum class Change : std::uint8_t { kDiscovered, kUpdated, kUnchanged };

class CatalogState {
 public:
  CatalogState(NetworkId network, PeerId local, Config config);

  // A signed entry from any source. kUnchanged means we already held exactly this version.
  [[nodiscard]] std::expected<Change, Rejection> merge(const SignedPeerEntry& entry, Timestamp now);

  // A local, unsigned entry (never gossiped). Refused only when the catalog is full.
  [[nodiscard]] std::expected<Change, Rejection> insert_unsigned(PeerEntry entry);

  // Removes any entry of `peer`; true when there was one.
  bool remove(const PeerId& peer);
  // Removes every unsigned entry and returns whose they were.
  std::vector<PeerId> clear_unsigned();

  // A signed departure; on success the peer's entry is gone (if it was there and not newer)
  // and the departure is remembered (see departed_). Refused when older than purge_after.
  [[nodiscard]] std::expected<bool, Rejection> depart(const SignedDeparture& d, Timestamp now);

  // Drops entries not refreshed within purge_after (returned, for PeerDeparted events) and
  // forgets departures older than two purge_after periods.
  std::vector<PeerId> purge(Timestamp now);

  Catalog catalog() const { return Catalog(peers_); }
  std::uint64_t rejected(Rejection r) const { return rejected_[static_cast<std::size_t>(r)]; }
  // Counts a refusal decided outside the catalog rules (e.g. a whole announcement).
  void count_rejection(Rejection r) { ++rejected_[static_cast<std::size_t>(r)]; }
  // Peers remembered as departed or purged (at most max_catalog_entries).
  std::size_t departed_count() const { return departed_.size(); }

 private:
  std::expected<void, Rejection> check(const PeerEntry& e, Timestamp now) const;
  std::unexpected<Rejection> reject(Rejection r);
  std::expected<Change, Rejection> place(CatalogEntry entry);
  void remember_departed(const PeerId& peer, const PeerEntryVersion& version);

  NetworkId network_;
  PeerId local_;
  Config config_;
  Catalog::Map peers_;
  // Peers that departed or were purged, with the last version seen: older or equal
  // entries arriving later are replays and are refused. Bounded like the catalog (signed
  // departures from throwaway keys would otherwise each add a row): when full, the oldest
  // row goes.
  std::map<PeerId, PeerEntryVersion> departed_;
  std::array<std::uint64_t, static_cast<std::size_t>(Rejection::kCount)> rejected_{};
};

}  // namespace mosaik::discovery
