#pragma once
// Raft's safety properties, checked from outside the cores with a god's-eye view:
// election safety (one leader per term and incarnation), log matching (logs that agree on
// an entry agree on everything before it), leader completeness (a new leader holds every
// entry committed before its term) and state-machine safety (every member applies the same
// entry at each index).
//
//   SafetyChecker c;  c.on_leader(node_id, core);  c.on_apply(node_id, entry);
//   c.check_log_matching(cores);  if (!c.violations().empty()) fail(seed);

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "groups/raft/core.hpp"

namespace mosaik::sim {

class SafetyChecker {
 public:
  void on_leader(const groups::raft::NodeId& id, const groups::raft::Core& core);
  // `node` (now in `term` of `incarnation`) applies `e` next; `expected_index` is the index it
  // must have. Entries committed by two incarnations are a split group (decision 0400): one
  // violation says so, and each incarnation's own entries are still checked.
  void on_apply(std::uint64_t node, const groups::raft::Entry& e, groups::Index expected_index, groups::Term term,
                std::uint64_t incarnation = 0);
  void check_log_matching(const std::vector<const groups::raft::Core*>& cores);
  void violation(std::string what);

  [[nodiscard]] const std::vector<std::string>& violations() const { return violations_; }
  [[nodiscard]] std::size_t committed_count() const {
    std::size_t n = 0;
    for (const auto& [inc, entries] : committed_) n += entries.size();
    return n;
  }
  [[nodiscard]] std::size_t leaders_elected() const { return leaders_.size(); }
  [[nodiscard]] std::uint64_t max_leader_term() const {
    return leaders_.empty() ? 0 : std::max_element(leaders_.begin(), leaders_.end(), [](const auto& a, const auto& b) {
                                    return a.first.second < b.first.second;
                                  })->first.second;
  }

 private:
  struct Applied {
    groups::Term term;
    std::uint64_t hash;
    // The first applier's term then: the entry was committed in this term or earlier.
    groups::Term committed_by;
  };
  std::map<std::pair<std::uint64_t, std::uint64_t>, groups::raft::NodeId> leaders_;  // (incarnation, term)
  std::map<std::uint64_t, std::vector<Applied>> committed_;  // per incarnation, by index - 1, as first applied
  std::vector<std::string> violations_;
};

[[nodiscard]] std::uint64_t entry_hash(const groups::raft::Entry& e);

}  // namespace mosaik::sim
