#pragma once
// The durable side of a member's log as the core reads it (etcd's Storage): the hard state,
// the snapshot point the log starts after, and the entries after it, all in bytes. The
// shell writes a Ready's snapshot, hard state and entries to it, then tells the core with
// Core::persisted(); the core only reads, so a durable store can replace the in-memory one
// without changing the core.
//
//   MemoryLogStore store;
//   Core core(options, store, now);
//   Ready r = core.take_ready();
//   store.save(r.snapshot, r.hard_state, r.entries);  core.persisted(store.last());

#include <cstddef>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "types.hpp"

namespace mosaik::groups::raft {

// What an entry costs in an encoded message besides its data: bounds use it so many empty
// entries cannot add up to an oversized frame.
inline constexpr std::size_t kEntryOverheadBytes = 32;
[[nodiscard]] inline std::size_t encoded_size(const Entry& e) { return e.data.size() + kEntryOverheadBytes; }

class LogStore {
 public:
  virtual ~LogStore() = default;
  [[nodiscard]] virtual HardState hard_state() const = 0;
  [[nodiscard]] virtual SnapshotPoint base() const = 0;
  [[nodiscard]] virtual Index last_index() const = 0;
  // The term of entry i for base < i <= last_index(); nullopt otherwise.
  [[nodiscard]] virtual std::optional<Term> term(Index i) const = 0;
  // Entries [from, to] (within base < from <= to <= last_index()) while their encoded size
  // stays within max_bytes, and always the first one.
  [[nodiscard]] virtual std::vector<Entry> entries(Index from, Index to, std::size_t max_bytes) const = 0;
};

// The default store: everything in memory, lost with the process.
class MemoryLogStore final : public LogStore {
 public:
  MemoryLogStore() = default;
  // A store holding `entries` (contiguous, after base.cursor): a member restarted from disk.
  MemoryLogStore(HardState hard, SnapshotPoint base, std::vector<Entry> entries);

  [[nodiscard]] HardState hard_state() const override { return hard_; }
  [[nodiscard]] SnapshotPoint base() const override { return base_; }
  [[nodiscard]] Index last_index() const override { return Index(base_.cursor.index.value + entries_.size()); }
  [[nodiscard]] std::optional<Term> term(Index i) const override;
  [[nodiscard]] std::vector<Entry> entries(Index from, Index to, std::size_t max_bytes) const override;

  [[nodiscard]] Cursor last() const { return entries_.empty() ? base_.cursor : Cursor{entries_.back().term, last_index()}; }
  [[nodiscard]] const std::deque<Entry>& stored() const { return entries_; }

  // A Ready's writes, in the order the Ready names them. `snapshot`: the log now starts after
  // it; stored entries after it stay if the entry at the point has the point's term, otherwise
  // all are dropped. `entries` replace the log from entries.front().index.
  void save(const std::optional<SnapshotPoint>& snapshot, const std::optional<HardState>& hard,
            std::span<const Entry> entries);
  // After Core::compact: drops the entries up to the point (held, or at the base already).
  void compact(const SnapshotPoint& point);

 private:
  void install(const SnapshotPoint& point);
  void append(std::span<const Entry> entries);
  [[nodiscard]] bool holds(Index i) const { return i > base_.cursor.index && i <= last_index(); }
  [[nodiscard]] std::size_t offset(Index i) const { return i.value - base_.cursor.index.value - 1; }

  HardState hard_;
  SnapshotPoint base_;
  std::deque<Entry> entries_;
};

}  // namespace mosaik::groups::raft
