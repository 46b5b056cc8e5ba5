#include "catalog_sync.hpp"

namespace mosaik::discovery {

std::vector<SignedPeerEntry> entries_to_share(const Catalog& catalog, const SignedPeerEntry& me) {
  std::vector<SignedPeerEntry> out;
  out.reserve(catalog.size() + 1);
  out.push_back(me);
  for (const auto& [id, entry] : catalog) {
    if (auto s = entry.signed_entry()) out.push_back(std::move(*s));
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
