#pragma once
// Where a member keeps its log: the Storage requirements and the default in-memory store.
//
//   InMemoryLogStore<MyCommand> log;  Index i = log.append(cmd, Term(1));
//   log.prune_prefix(i);               // after a snapshot at i; log.available() starts after i
//
// Positions follow the seed: Index 0 is "no entry"; `available()` is the inclusive range of
// entries still held (empty when last < first). After prune_prefix or reset_to, the store
// remembers the cursor it starts after, so term_at() of that index still answers.

#include <concepts>
#include <cstdint>
#include <deque>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include <mosaik/groups/index.hpp>

namespace mosaik::groups {

template <class S, class C>
concept Storage = requires(S& s, const S& cs, C command, Term term, Index index,
                           const IndexRange& range, Cursor cursor) {
  { s.append(std::move(command), term) } -> std::same_as<Index>;
  { cs.available() } -> std::same_as<IndexRange>;
  { cs.get(index) } -> std::same_as<std::optional<std::pair<C, Term>>>;
  { cs.get_range(range) } -> std::same_as<std::vector<std::tuple<Term, Index, C>>>;
  s.truncate(index);         // drops entries at and after `index`
  { cs.last() } -> std::same_as<Cursor>;
  { cs.term_at(index) } -> std::same_as<std::optional<Term>>;
  s.prune_prefix(index);     // drops entries at and before `index`
  s.reset_to(cursor);        // drops everything; the log continues after `cursor`
};

template <class C>
class InMemoryLogStore {
 public:
  Index append(C command, Term term) {
    entries_.emplace_back(std::move(command), term);
    return last().index;
  }

  [[nodiscard]] IndexRange available() const {
    return {base_.index.next(), Index(base_.index.value + entries_.size())};
  }

  [[nodiscard]] std::optional<std::pair<C, Term>> get(Index index) const {
    if (!holds(index)) return std::nullopt;
    return entries_[offset(index)];
  }

  [[nodiscard]] std::vector<std::tuple<Term, Index, C>> get_range(const IndexRange& range) const {
    std::vector<std::tuple<Term, Index, C>> out;
    for (auto i = range.first; i <= range.last && !range.empty(); i = i.next()) {
      if (!holds(i)) continue;
      const auto& [command, term] = entries_[offset(i)];
      out.emplace_back(term, i, command);
      if (i.value == UINT64_MAX) break;
    }
    return out;
  }

  void truncate(Index at) {
    if (at <= base_.index) {
      entries_.clear();
      return;
    }
    const auto keep = at.value - base_.index.value - 1;
    if (keep < entries_.size()) entries_.resize(keep);
  }

  [[nodiscard]] Cursor last() const {
    if (entries_.empty()) return base_;
    return {entries_.back().second, Index(base_.index.value + entries_.size())};
  }

  [[nodiscard]] std::optional<Term> term_at(Index index) const {
    if (index == base_.index) return base_.term;
    if (!holds(index)) return std::nullopt;
    return entries_[offset(index)].second;
  }

  void prune_prefix(Index up_to) {
    if (up_to <= base_.index) return;
    if (up_to > last().index) {
      reset_to({term_at(up_to).value_or(last().term), up_to});
      return;
    }
    const Term term = entries_[offset(up_to)].second;
    entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(offset(up_to) + 1));
    base_ = {term, up_to};
  }

  void reset_to(Cursor cursor) {
    entries_.clear();
    base_ = cursor;
  }

 private:
  [[nodiscard]] bool holds(Index i) const {
    return i > base_.index && i.value - base_.index.value <= entries_.size();
  }
  [[nodiscard]] std::size_t offset(Index i) const { return i.value - base_.index.value - 1; }

  std::deque<std::pair<C, Term>> entries_;
  Cursor base_{};  // the position the held entries follow
};

}  // namespace mosaik::groups
