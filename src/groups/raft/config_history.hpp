#pragma once
// Which membership is in force at each point of the log. A membership takes effect as soon
// as its entry is in the log (Raft dissertation §4.1), so truncating the log can revert it;
// compaction folds old changes into the base.
//
//   ConfigHistory h(base_membership);  h.record(Index(5), m);  h.current() == m;
//   h.truncate_from(Index(5));          // back to base_membership

#include <utility>
#include <vector>

#include "types.hpp"

namespace mosaik::groups::raft {

class ConfigHistory {
 public:
  explicit ConfigHistory(Membership base) : base_(std::move(base)) {}

  [[nodiscard]] const Membership& current() const {
    return changes_.empty() ? base_ : changes_.back().second;
  }
  // The membership in force after the entry at i.
  [[nodiscard]] const Membership& at(Index i) const {
    for (auto it = changes_.rbegin(); it != changes_.rend(); ++it)
      if (it->first <= i) return it->second;
    return base_;
  }
  // Index of the newest membership entry still in the log (0 if none since the base).
  [[nodiscard]] Index last_change() const {
    return changes_.empty() ? Index(0) : changes_.back().first;
  }
  void record(Index i, Membership m) { changes_.emplace_back(i, std::move(m)); }
  void truncate_from(Index i) {
    while (!changes_.empty() && changes_.back().first >= i) changes_.pop_back();
  }
  void compact(Index i) {
    base_ = at(i);
    std::erase_if(changes_, [i](const auto& c) { return c.first <= i; });
  }
  void reset(Membership base) {
    base_ = std::move(base);
    changes_.clear();
  }

 private:
  Membership base_;
  std::vector<std::pair<Index, Membership>> changes_;
};

}  // namespace mosaik::groups::raft
