#include "log.hpp"

#include <stdexcept>

namespace mosaik::groups::raft {

RaftLog::RaftLog(const LogStore& stable)
    : stable_(stable), base_(stable.base().cursor), offset_(stable.last_index().next()) {
  if (stable.last_index() < base_.index) throw std::logic_error("RaftLog: the store ends before its base");
}

std::optional<Term> RaftLog::term_at(Index i) const {
  if (i == base_.index) return base_.term;
  if (!holds(i)) return std::nullopt;
  if (i >= offset_) return unstable_[i.value - offset_.value].term;
  auto t = stable_.term(i);
  if (!t) throw std::logic_error("RaftLog: the store lost an entry it reported persisted");
  return t;
}

Entry RaftLog::at(Index i) const {
  if (!holds(i)) throw std::logic_error("RaftLog::at: not in the log");
  if (i >= offset_) return unstable_[i.value - offset_.value];
  auto one = stable_.entries(i, i, 0);
  if (one.size() != 1 || one.front().index != i) throw std::logic_error("RaftLog: the store lost an entry");
  return std::move(one.front());
}

Index RaftLog::find_conflict_by_term(Index i, Term t) const {
  if (i > last_index()) i = last_index();
  while (i > base_.index && *term_at(i) > t) i = i.prev();
  return i;
}

Index RaftLog::append_new(Term term, EntryKind kind, Payload data) {
  append(Entry{term, last_index().next(), static_cast<std::uint8_t>(kind), std::move(data)});
  return last_index();
}

void RaftLog::append(Entry e) {
  if (e.index != last_index().next()) throw std::logic_error("RaftLog::append: not contiguous");
  unstable_.push_back(std::move(e));
}

std::vector<Entry> RaftLog::slice(Index from, Index to, std::size_t max_count, std::size_t max_bytes) const {
  std::vector<Entry> out;
  if (from <= base_.index) from = first_index();
  if (to > last_index()) to = last_index();
  if (to < from || max_count == 0) return out;
  std::size_t bytes = 0;
  if (from < offset_) {
    const Index stable_end = std::min(to, stable_last());
    out = stable_.entries(from, stable_end, max_bytes);
    if (out.empty() || out.front().index != from) throw std::logic_error("RaftLog: the store lost an entry");
    if (out.size() > max_count) out.resize(max_count);
    for (const auto& e : out) bytes += encoded_size(e);
    if (out.back().index != stable_end || out.size() == max_count) return out;
    from = offset_;
  }
  for (Index i = from; i <= to && out.size() < max_count; i = i.next()) {
    const Entry& e = unstable_[i.value - offset_.value];
    bytes += encoded_size(e);
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(e);
  }
  return out;
}

void RaftLog::truncate_from(Index i) {
  if (i <= base_.index) throw std::logic_error("RaftLog::truncate_from: below base");
  if (i > last_index()) return;
  if (i >= offset_) {
    unstable_.resize(i.value - offset_.value);
  } else {
    // The store still holds the old suffix until the next Ready replaces it: hide it.
    unstable_.clear();
    offset_ = i;
  }
}

void RaftLog::compact(Index i) {
  if (i <= base_.index) return;
  if (i > last_index()) throw std::logic_error("RaftLog::compact: beyond last");
  const Term t = *term_at(i);
  if (i >= offset_) {
    unstable_.erase(unstable_.begin(), unstable_.begin() + static_cast<std::ptrdiff_t>(i.value - offset_.value + 1));
    offset_ = i.next();
  }
  base_ = {t, i};
}

void RaftLog::reset(Cursor base) {
  unstable_.clear();
  base_ = base;
  offset_ = base.index.next();
}

void RaftLog::stable_to(Cursor c) {
  if (c.index < offset_ || c.index > last_index()) return;
  if (unstable_[c.index.value - offset_.value].term != c.term) return;
  unstable_.erase(unstable_.begin(), unstable_.begin() + static_cast<std::ptrdiff_t>(c.index.value - offset_.value + 1));
  offset_ = c.index.next();
}

}  // namespace mosaik::groups::raft
