#include "catalog_sync.hpp"

#include <algorithm>
#include <optional>

namespace mosaik::discovery {

namespace {

// A peer's summary sorted by id, for lookups (a peer need not send it sorted).
class PeerVersions {
 public:
  explicit PeerVersions(const std::vector<EntryVersion>& summary) : sorted_(summary) {
    std::sort(sorted_.begin(), sorted_.end(),
              [](const EntryVersion& a, const EntryVersion& b) { return a.peer < b.peer; });
  }
  const PeerEntryVersion* find(const PeerId::Bytes& id) const {
    const auto it = std::lower_bound(sorted_.begin(), sorted_.end(), id,
                                     [](const EntryVersion& e, const PeerId::Bytes& b) { return e.peer < b; });
    return it != sorted_.end() && it->peer == id ? &it->version : nullptr;
  }

 private:
  std::vector<EntryVersion> sorted_;
};

SignedPeerEntry signed_form(const CatalogEntry& entry) {
  return SignedPeerEntry::from_parts(entry.entry(), *entry.signature());
}

}  // namespace

std::vector<EntryVersion> summarize(const Catalog& catalog) {
  std::vector<EntryVersion> out;
  out.reserve(catalog.size());
  for (const auto& [id, entry] : catalog) {
    if (entry.is_signed()) out.push_back(EntryVersion{id.as_bytes(), entry.version()});
  }
  return out;
}

std::vector<PeerId::Bytes> wanted_from(const Catalog& catalog, const PeerId& self,
                                       const std::vector<EntryVersion>& summary, std::size_t max) {
  std::vector<PeerId::Bytes> out;
  for (const auto& e : summary) {
    if (out.size() >= max) break;
    const PeerId id = PeerId::from_bytes(e.peer);  // a lookup only: no curve check needed
    if (id == self) continue;
    const CatalogEntry* held = catalog.get(id);
    if (held != nullptr && held->is_signed() && held->version() >= e.version) continue;
    out.push_back(e.peer);
  }
  return out;
}

std::vector<SignedPeerEntry> entries_to_share(const Catalog& catalog, const SignedPeerEntry& me,
                                              std::size_t max_bytes, std::size_t start,
                                              const std::vector<EntryVersion>* peer_has) {
  std::optional<PeerVersions> has;
  if (peer_has != nullptr) has.emplace(*peer_has);
  std::vector<const CatalogEntry*> to_send;
  to_send.reserve(catalog.size());
  for (const auto& [id, entry] : catalog) {
    if (!entry.is_signed()) continue;
    if (has) {
      if (const auto* v = has->find(id.as_bytes()); v != nullptr && *v >= entry.version()) continue;
    }
    to_send.push_back(&entry);
  }
  std::vector<SignedPeerEntry> out;
  out.reserve(to_send.size() + 1);
  out.push_back(me);
  std::size_t bytes = wire::encode(me).size();
  const std::size_t n = to_send.size();
  for (std::size_t i = 0; i < n; ++i) {
    auto entry = signed_form(*to_send[(start + i) % n]);
    if (max_bytes != SIZE_MAX) bytes += wire::encode(entry).size();  // sized only when bounded
    if (bytes > max_bytes) break;
    out.push_back(std::move(entry));
  }
  return out;
}

std::vector<SignedPeerEntry> entries_named(const Catalog& catalog, const std::vector<PeerId::Bytes>& ids,
                                           std::size_t max_bytes) {
  std::vector<SignedPeerEntry> out;
  std::size_t bytes = 0;
  for (const auto& id : ids) {
    const CatalogEntry* held = catalog.get(PeerId::from_bytes(id));
    if (held == nullptr || !held->is_signed()) continue;
    auto entry = signed_form(*held);
    if (max_bytes != SIZE_MAX) bytes += wire::encode(entry).size();
    if (bytes > max_bytes) break;
    out.push_back(std::move(entry));
  }
  return out;
}

MergeReport merge_batch(CatalogState& state, const std::vector<SignedPeerEntry>& entries,
                        Timestamp now, std::size_t max_entries) {
  MergeReport report;
  if (entries.size() > max_entries + 1) {  // + 1: the sender's own entry
    report.rejected = entries.size();
    return report;
  }
  for (const auto& e : entries) {
    auto change = state.merge(e, now);
    if (!change) {
      ++report.rejected;
      if (report.rejections.size() < MergeReport::kRejectionsKept) {
        report.rejections.emplace_back(e.peer_id(), change.error());
      }
      continue;
    }
    switch (*change) {
      case Change::kDiscovered:
        ++report.discovered;
        report.changed.emplace_back(*change, CatalogEntry(e));
        break;
      case Change::kUpdated:
        ++report.updated;
        report.changed.emplace_back(*change, CatalogEntry(e));
        break;
      case Change::kUnchanged:
        ++report.unchanged;
        break;
    }
  }
  return report;
}

std::vector<SignedPeerEntry> missed_broadcasts(const MergeReport& report, bool knew_someone,
                                               Timestamp now, Timestamp age) {
  std::vector<SignedPeerEntry> out;
  if (!knew_someone) return out;
  for (const auto& [change, entry] : report.changed) {
    if (change != Change::kDiscovered || entry.version().update + age > now) continue;
    if (auto signed_entry = entry.signed_entry()) out.push_back(std::move(*signed_entry));
  }
  return out;
}

}  // namespace mosaik::discovery
