#pragma once
// The log of one member as the core sees it (etcd's raftLog): the entries the store holds
// (read through LogStore) followed by an unstable tail the shell has not yet reported
// persisted. Indices are absolute; nothing here knows about roles or messages.
//
//   MemoryLogStore store;  RaftLog log(store);
//   log.append_new(Term(1), EntryKind::Noop, {});   // unstable until the shell persists it
//   store.save({}, {}, log.slice(Index(1), Index(1), 1, SIZE_MAX));  log.stable_to(log.last());

#include <cstddef>
#include <deque>
#include <optional>
#include <vector>

#include "log_store.hpp"
#include "types.hpp"

namespace mosaik::groups::raft {

class RaftLog {
 public:
  explicit RaftLog(const LogStore& stable);

  [[nodiscard]] Cursor base() const { return base_; }
  [[nodiscard]] Index first_index() const { return base_.index.next(); }
  [[nodiscard]] Index last_index() const { return Index(offset_.value + unstable_.size() - 1); }
  [[nodiscard]] Term last_term() const { return *term_at(last_index()); }
  [[nodiscard]] Cursor last() const { return {last_term(), last_index()}; }
  [[nodiscard]] bool holds(Index i) const { return i > base_.index && i <= last_index(); }
  // The term at i, including the base; nullopt outside [base, last].
  [[nodiscard]] std::optional<Term> term_at(Index i) const;
  [[nodiscard]] bool matches(Index i, Term t) const { return term_at(i) == t; }
  // Precondition: holds(i).
  [[nodiscard]] Entry at(Index i) const;
  // Raft §5.4.1: a candidate whose last entry is `other` is at least as up to date as us.
  [[nodiscard]] bool is_up_to_date(Cursor other) const {
    return other.term > last_term() || (other.term == last_term() && other.index >= last_index());
  }
  // Largest j <= i whose term is <= t (at least the base index): where a rejected append
  // should be retried so one round trip skips a whole divergent term.
  [[nodiscard]] Index find_conflict_by_term(Index i, Term t) const;

  Index append_new(Term term, EntryKind kind, Payload data);
  void append(Entry e);  // precondition: e.index == last_index().next()
  // Copies of entries [from, to]: at most max_count, and while their encoded size stays
  // within max_bytes (the first one always).
  [[nodiscard]] std::vector<Entry> slice(Index from, Index to, std::size_t max_count, std::size_t max_bytes) const;
  void truncate_from(Index i);  // drops entries at and after i (i > base)
  void compact(Index i);        // drops entries up to i; precondition base < i <= last
  void reset(Cursor base);      // drops every entry; the log continues after `base`

  // ---- persistence
  // The last index the store holds for us (entries after it are unstable).
  [[nodiscard]] Index stable_last() const { return offset_.prev(); }
  // The shell persisted entries up to `c`: they are read from the store from now on. A stale
  // report (an entry since overwritten with another term) changes nothing.
  void stable_to(Cursor c);

 private:
  const LogStore& stable_;
  Cursor base_;
  Index offset_;               // index of unstable_.front(); (base_, offset_) is read from the store
  std::deque<Entry> unstable_;
};

}  // namespace mosaik::groups::raft
