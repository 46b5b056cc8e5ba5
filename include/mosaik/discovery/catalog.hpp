#pragma once
// Catalog: an immutable snapshot of every known peer, keyed and ordered by PeerId. Copying
// it is O(1) and it never changes after you obtain it; watch the discovery's catalog_watch()
// for newer snapshots.
//
//   for (const auto& [peer_id, entry] : disc.catalog()) if (entry.tags().contains("matcher")) ...

#include <optional>

#include "mosaik/discovery/peer_entry.hpp"
#include "mosaik/primitives/persistent_map.hpp"

namespace mosaik::discovery {

// One catalog entry: a signed entry from its owner (gossip, sync, feed), or an unsigned
// one inserted locally (tests, manual feeds), which is never gossiped.
class CatalogEntry {
 public:
  CatalogEntry() = default;
  explicit CatalogEntry(SignedPeerEntry s) : entry_(s.entry()), signature_(s.signature()) {}
  static CatalogEntry unsigned_entry(PeerEntry e) {
    CatalogEntry c;
    c.entry_ = std::move(e);
    return c;
  }

  const PeerEntry& entry() const { return entry_; }
  const PeerId& peer_id() const { return entry_.peer_id(); }
  const EndpointAddr& addr() const { return entry_.addr(); }
  const std::set<Tag>& tags() const { return entry_.tags(); }
  const std::set<StreamId>& streams() const { return entry_.streams(); }
  const std::set<GroupId>& groups() const { return entry_.groups(); }
  const PeerEntryVersion& version() const { return entry_.version(); }
  bool is_signed() const { return signature_.has_value(); }
  const std::optional<Signature>& signature() const { return signature_; }

  // The signed form, for gossip; nullopt for unsigned entries.
  std::optional<SignedPeerEntry> signed_entry() const;

  bool operator==(const CatalogEntry&) const = default;

 private:
  PeerEntry entry_;
  std::optional<Signature> signature_;
};

class Catalog {
 public:
  using Map = PersistentMap<PeerId, CatalogEntry>;

  Catalog() = default;
  explicit Catalog(Map peers) : peers_(std::move(peers)) {}

  std::size_t size() const { return peers_.size(); }
  bool empty() const { return peers_.empty(); }
  const CatalogEntry* get(const PeerId& id) const { return peers_.find(id); }
  bool contains(const PeerId& id) const { return peers_.contains(id); }
  Map::const_iterator begin() const { return peers_.begin(); }
  Map::const_iterator end() const { return peers_.end(); }
  const Map& peers() const { return peers_; }

  bool operator==(const Catalog&) const = default;

 private:
  Map peers_;
};

}  // namespace mosaik::discovery
