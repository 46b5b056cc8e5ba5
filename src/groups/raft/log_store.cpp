#include "log_store.hpp"

#include <stdexcept>

namespace mosaik::groups::raft {

MemoryLogStore::MemoryLogStore(HardState hard, SnapshotPoint base, std::vector<Entry> entries)
    : hard_(std::move(hard)), base_(std::move(base)) {
  append(entries);
}

std::optional<Term> MemoryLogStore::term(Index i) const {
  if (!holds(i)) return std::nullopt;
  return entries_[offset(i)].term;
}

std::vector<Entry> MemoryLogStore::entries(Index from, Index to, std::size_t max_bytes) const {
  std::vector<Entry> out;
  if (!holds(from)) return out;
  if (to > last_index()) to = last_index();
  std::size_t bytes = 0;
  for (Index i = from; i <= to; i = i.next()) {
    const Entry& e = entries_[offset(i)];
    bytes += encoded_size(e);
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(e);
  }
  return out;
}

void MemoryLogStore::save(const std::optional<SnapshotPoint>& snapshot, const std::optional<HardState>& hard,
                          std::span<const Entry> entries) {
  if (snapshot) install(*snapshot);
  if (hard) hard_ = *hard;
  append(entries);
}

void MemoryLogStore::install(const SnapshotPoint& point) {
  if (term(point.cursor.index) == point.cursor.term) {
    entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(offset(point.cursor.index) + 1));
  } else {
    entries_.clear();
  }
  base_ = point;
}

void MemoryLogStore::compact(const SnapshotPoint& point) {
  if (point.cursor.index <= base_.cursor.index) return;
  if (term(point.cursor.index) != point.cursor.term)
    throw std::logic_error("MemoryLogStore::compact: the point is not in the stored log");
  install(point);
}

void MemoryLogStore::append(std::span<const Entry> entries) {
  if (entries.empty()) return;
  const Index first = entries.front().index;
  if (first <= base_.cursor.index || first > last_index().next())
    throw std::logic_error("MemoryLogStore: entries do not continue the stored log");
  entries_.resize(offset(first));
  for (const auto& e : entries) {
    if (e.index != last_index().next()) throw std::logic_error("MemoryLogStore: entries not contiguous");
    entries_.push_back(e);
  }
}

}  // namespace mosaik::groups::raft
