#include "catalog_sync.hpp"

namespace mosaik::discovery {

std::vector<SignedPeerEntry> entries_to_share(const Catalog& catalog, const SignedPeerEntry& me,
                                              std::size_t max_bytes, std::size_t start) {
  std::vector<SignedPeerEntry> signed_entries;
  signed_entries.reserve(catalog.size());
  for (const auto& [id, entry] : catalog) {
    if (auto s = entry.signed_entry()) signed_entries.push_back(std::move(*s));
  }
  std::vector<SignedPeerEntry> out;
  out.reserve(signed_entries.size() + 1);
  out.push_back(me);
  std::size_t bytes = wire::encode(me).size();
  const std::size_t n = signed_entries.size();
  for (std::size_t i = 0; i < n; ++i) {
    auto& entry = signed_entries[(start + i) % n];
    if (max_bytes != SIZE_MAX) bytes += wire::encode(entry).size();  // sized only when bounded
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

}  // namespace mosaik::discovery
