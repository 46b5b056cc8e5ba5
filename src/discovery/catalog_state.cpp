#include "catalog_state.hpp"

#include <algorithm>

namespace mosaik::discovery {

namespace {
constexpr std::string_view kDepartureDomain = "mosaik/discovery/departure/v1";
constexpr std::size_t kMaxRelayUrlLength = 512;

wire::Bytes departure_signing_bytes(const Departure& d) {
  wire::Bytes out(kDepartureDomain.begin(), kDepartureDomain.end());
  wire::encode_into(out, d);
  return out;
}
}  // namespace

SignedDeparture SignedDeparture::sign(const Departure& d, const SecretKey& key) {
  return SignedDeparture{d, key.sign(departure_signing_bytes(d))};
}

bool SignedDeparture::verify() const {
  return departure.peer_id.verify(departure_signing_bytes(departure), signature);
}

std::string_view to_string(Rejection r) {
  switch (r) {
    case Rejection::kDifferentNetwork: return "entry belongs to a different network";
    case Rejection::kInvalidSignature: return "invalid signature";
    case Rejection::kOwnPeerId: return "entry claims our own peer id";
    case Rejection::kClockDrift: return "entry timestamp too far in the future";
    case Rejection::kMalformed: return "malformed entry";
    case Rejection::kOversized: return "entry exceeds size limits";
    case Rejection::kOutdated: return "entry older than the one held";
    case Rejection::kStale: return "entry older than purge_after";
    case Rejection::kCatalogFull: return "catalog full";
    case Rejection::kOverfullAnnouncement: return "announcement carries more than one entry or departure";
    case Rejection::kCount: break;
  }
  return "unknown rejection";
}

CatalogState::CatalogState(NetworkId network, PeerId local, Config config)
    : network_(network), local_(local), config_(std::move(config)) {}

std::unexpected<Rejection> CatalogState::reject(Rejection r) {
  ++rejected_[static_cast<std::size_t>(r)];
  return std::unexpected(r);
}

std::expected<void, Rejection> CatalogState::check(const PeerEntry& e, Timestamp now) const {
  if (e.network_id() != network_) return std::unexpected(Rejection::kDifferentNetwork);
  if (e.peer_id() == local_) return std::unexpected(Rejection::kOwnPeerId);
  if (e.tags().size() > config_.max_tags_per_entry ||
      e.streams().size() > config_.max_streams_per_entry ||
      e.groups().size() > config_.max_groups_per_entry ||
      e.addr().direct_addresses.size() > config_.max_addresses_per_entry ||
      (e.addr().relay_url && e.addr().relay_url->size() > kMaxRelayUrlLength)) {
    return std::unexpected(Rejection::kOversized);
  }
  const auto& v = e.version();
  if (v.update < v.start) return std::unexpected(Rejection::kMalformed);
  // A report is about a group the entry lists (so their number is bounded by groups()).
  for (const auto& [group, report] : e.group_reports()) {
    if (!e.groups().contains(group)) return std::unexpected(Rejection::kMalformed);
  }
  if (v.update > now + config_.max_time_drift) return std::unexpected(Rejection::kClockDrift);
  if (v.update + config_.purge_after < now) return std::unexpected(Rejection::kStale);
  if (auto gone = departed_.find(e.peer_id()); gone != departed_.end() && v <= gone->second) {
    return std::unexpected(Rejection::kOutdated);
  }
  return {};
}

std::expected<Change, Rejection> CatalogState::place(CatalogEntry entry) {
  const PeerId id = entry.peer_id();
  const CatalogEntry* held = peers_.find(id);
  if (held == nullptr && peers_.size() >= config_.max_catalog_entries) {
    return reject(Rejection::kCatalogFull);
  }
  departed_.erase(id);
  peers_.set(id, std::move(entry));
  return held == nullptr ? Change::kDiscovered : Change::kUpdated;
}

std::expected<Change, Rejection> CatalogState::merge(const SignedPeerEntry& signed_entry,
                                                     Timestamp now) {
  const PeerEntry& e = signed_entry.entry();
  if (auto ok = check(e, now); !ok) return reject(ok.error());
  if (const CatalogEntry* held = peers_.find(e.peer_id())) {
    if (held->signature() == signed_entry.signature() && held->entry() == e) {
      return Change::kUnchanged;  // a duplicate: no need to check the signature again
    }
    if (e.version() <= held->version()) return reject(Rejection::kOutdated);
  }
  // Last, because it is the expensive check.
  if (!signed_entry.verify()) return reject(Rejection::kInvalidSignature);
  return place(CatalogEntry(signed_entry));
}

std::expected<Change, Rejection> CatalogState::insert_unsigned(PeerEntry entry) {
  if (const CatalogEntry* held = peers_.find(entry.peer_id()); held && held->entry() == entry) {
    return Change::kUnchanged;
  }
  return place(CatalogEntry::unsigned_entry(std::move(entry)));
}

bool CatalogState::remove(const PeerId& peer) { return peers_.remove(peer); }

std::vector<PeerId> CatalogState::clear_unsigned() {
  std::vector<PeerId> removed;
  for (const auto& [id, entry] : peers_) {
    if (!entry.is_signed()) removed.push_back(id);
  }
  for (const auto& id : removed) peers_.remove(id);
  return removed;
}

std::expected<bool, Rejection> CatalogState::depart(const SignedDeparture& d, Timestamp now) {
  const Departure& dep = d.departure;
  if (dep.network_id != network_) return reject(Rejection::kDifferentNetwork);
  if (dep.peer_id == local_) return reject(Rejection::kOwnPeerId);
  if (dep.version.update > now + config_.max_time_drift) return reject(Rejection::kClockDrift);
  if (dep.version.update + config_.purge_after < now) return reject(Rejection::kStale);
  const CatalogEntry* held = peers_.find(dep.peer_id);
  if (held && held->version() > dep.version) return reject(Rejection::kOutdated);
  if (!d.verify()) return reject(Rejection::kInvalidSignature);
  remember_departed(dep.peer_id, dep.version);
  return held != nullptr && peers_.remove(dep.peer_id);
}

void CatalogState::remember_departed(const PeerId& peer, const PeerEntryVersion& version) {
  if (auto it = departed_.find(peer); it != departed_.end()) {
    it->second = std::max(it->second, version);
    return;
  }
  if (departed_.size() >= config_.max_catalog_entries) {
    // Full: the oldest row makes room, unless the newcomer is older still. A linear scan,
    // paid only when full, and cheaper than the signature check that came before it.
    auto oldest = std::min_element(departed_.begin(), departed_.end(), [](const auto& a, const auto& b) {
      return a.second.update < b.second.update;
    });
    if (version.update <= oldest->second.update) return;
    departed_.erase(oldest);
  }
  departed_.emplace(peer, version);
}

std::vector<PeerId> CatalogState::purge(Timestamp now) {
  std::vector<PeerId> stale;
  for (const auto& [id, entry] : peers_) {
    // Unsigned entries are the application's: only it removes them.
    if (entry.is_signed() && entry.version().update + config_.purge_after < now) {
      stale.push_back(id);
    }
  }
  for (const auto& id : stale) {
    remember_departed(id, peers_.find(id)->version());
    peers_.remove(id);
  }
  std::erase_if(departed_, [&](const auto& kv) {
    return kv.second.update + 2 * config_.purge_after < now;
  });
  return stale;
}

}  // namespace mosaik::discovery
