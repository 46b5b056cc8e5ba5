#pragma once
// The in-memory Raft log of one member: entries after a base cursor (the compaction or
// state-sync point). Indices are absolute; nothing here knows about roles or messages.
//
//   RaftLog log(SnapshotPoint{}, {});   log.append_new(Term(1), EntryKind::Noop, {});
//   log.term_at(Index(1)) == Term(1);   log.compact(Index(1));

#include <deque>
#include <optional>
#include <vector>

#include "types.hpp"

namespace mosaik::groups::raft {

class RaftLog {
 public:
  RaftLog(Cursor base, std::vector<Entry> entries);

  [[nodiscard]] Cursor base() const { return base_; }
  [[nodiscard]] Index first_index() const { return base_.index.next(); }
  [[nodiscard]] Index last_index() const { return Index(base_.index.value + entries_.size()); }
  [[nodiscard]] Term last_term() const { return entries_.empty() ? base_.term : entries_.back().term; }
  [[nodiscard]] Cursor last() const { return {last_term(), last_index()}; }
  [[nodiscard]] bool holds(Index i) const { return i > base_.index && i <= last_index(); }
  // The term at i, including the base; nullopt outside [base, last].
  [[nodiscard]] std::optional<Term> term_at(Index i) const;
  [[nodiscard]] bool matches(Index i, Term t) const { return term_at(i) == t; }
  // Precondition: holds(i).
  [[nodiscard]] const Entry& at(Index i) const { return entries_[offset(i)]; }
  // Raft §5.4.1: a candidate whose last entry is `other` is at least as up to date as us.
  [[nodiscard]] bool is_up_to_date(Cursor other) const {
    return other.term > last_term() || (other.term == last_term() && other.index >= last_index());
  }
  // Largest j <= i whose term is <= t (at least the base index): where a rejected append
  // should be retried so one round trip skips a whole divergent term.
  [[nodiscard]] Index find_conflict_by_term(Index i, Term t) const;

  Index append_new(Term term, EntryKind kind, Bytes data);
  void append(Entry e);  // precondition: e.index == last_index().next()
  // Copies of entries [from, to], at most max_count of them.
  [[nodiscard]] std::vector<Entry> slice(Index from, Index to, std::size_t max_count) const;
  void truncate_from(Index i);  // drops entries at and after i (i > base)
  void compact(Index i);        // drops entries up to i; precondition base < i <= last
  void reset(Cursor base);      // drops every entry; the log continues after `base`

 private:
  [[nodiscard]] std::size_t offset(Index i) const { return i.value - base_.index.value - 1; }
  Cursor base_;
  std::deque<Entry> entries_;
};

}  // namespace mosaik::groups::raft
