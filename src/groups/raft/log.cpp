#include "log.hpp"

#include <stdexcept>

namespace mosaik::groups::raft {

RaftLog::RaftLog(Cursor base, std::vector<Entry> entries) : base_(base) {
  for (auto& e : entries) {
    if (e.index != last_index().next()) throw std::invalid_argument("RaftLog: entries not contiguous");
    entries_.push_back(std::move(e));
  }
}

std::optional<Term> RaftLog::term_at(Index i) const {
  if (i == base_.index) return base_.term;
  if (!holds(i)) return std::nullopt;
  return entries_[offset(i)].term;
}

Index RaftLog::find_conflict_by_term(Index i, Term t) const {
  if (i > last_index()) i = last_index();
  while (i > base_.index && entries_[offset(i)].term > t) i = i.prev();
  return i;
}

Index RaftLog::append_new(Term term, EntryKind kind, Bytes data) {
  entries_.push_back(Entry{term, last_index().next(), static_cast<std::uint8_t>(kind), std::move(data)});
  return last_index();
}

void RaftLog::append(Entry e) {
  if (e.index != last_index().next()) throw std::logic_error("RaftLog::append: not contiguous");
  entries_.push_back(std::move(e));
}

std::vector<Entry> RaftLog::slice(Index from, Index to, std::size_t max_count) const {
  std::vector<Entry> out;
  if (from <= base_.index) from = first_index();
  if (to > last_index()) to = last_index();
  if (to < from) return out;
  const auto n = std::min<std::uint64_t>(to.value - from.value + 1, max_count);
  out.reserve(n);
  auto it = entries_.begin() + static_cast<std::ptrdiff_t>(offset(from));
  for (std::uint64_t k = 0; k < n; ++k, ++it) out.push_back(*it);
  return out;
}

void RaftLog::truncate_from(Index i) {
  if (i <= base_.index) throw std::logic_error("RaftLog::truncate_from: below base");
  if (i > last_index()) return;
  entries_.resize(offset(i));
}

void RaftLog::compact(Index i) {
  if (i <= base_.index) return;
  if (i > last_index()) throw std::logic_error("RaftLog::compact: beyond last");
  const Term t = entries_[offset(i)].term;
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(offset(i) + 1));
  base_ = {t, i};
}

void RaftLog::reset(Cursor base) {
  entries_.clear();
  base_ = base;
}

}  // namespace mosaik::groups::raft
