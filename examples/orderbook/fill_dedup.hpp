#pragma once
// FillDedup: what a fill consumer keeps to see each fill once. Fills are published at least
// once (engine.cpp says why): after a leader change the new leader resends the fills its
// predecessor streamed but had not yet recorded as published. Fill seqs are the same on every
// engine, so a seq seen before is a duplicate.
//
//   FillDedup seen;
//   if (seen.first_time(fill.seq)) print(fill);

#include <cstdint>
#include <set>

namespace orderbook {

class FillDedup {
 public:
  // True the first time `seq` is offered.
  bool first_time(std::uint64_t seq) {
    if (seq <= contiguous_ || !ahead_.insert(seq).second) return false;
    // Fold the run that now follows the contiguous prefix into it: the set stays small.
    while (!ahead_.empty() && *ahead_.begin() == contiguous_ + 1) {
      ++contiguous_;
      ahead_.erase(ahead_.begin());
    }
    return true;
  }
  // Distinct fills seen.
  [[nodiscard]] std::uint64_t count() const { return contiguous_ + ahead_.size(); }

 private:
  std::uint64_t contiguous_ = 0;  // every seq in 1..contiguous_ was seen
  std::set<std::uint64_t> ahead_;  // seen, beyond a gap (a reordering across leaders)
};

}  // namespace orderbook
