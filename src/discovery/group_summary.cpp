#include "mosaik/discovery/group_summary.hpp"

#include <algorithm>

namespace mosaik::discovery {
namespace {

// The term of the report that named `g.leader` (a leader is named by its own term's reports).
std::uint64_t leader_term(const GroupSummary& g) {
  std::uint64_t term = 0;
  for (const auto& [member, r] : g.reports) {
    if (r.leader == g.leader) term = std::max(term, r.term);
  }
  return term;
}

}  // namespace

void add_to_summary(std::map<GroupId, GroupSummary>& groups, const PeerEntry& entry) {
  for (const auto& id : entry.groups()) {
    auto& g = groups[id];
    g.members.insert(entry.peer_id());
    const auto* report = entry.group_report(id);
    if (report == nullptr) continue;
    if (report->leader && (!g.leader || report->term > leader_term(g))) g.leader = report->leader;
    g.reports[entry.peer_id()] = *report;
    g.term = std::max(g.term.value_or(0), report->term);
    g.commit_index = std::max(g.commit_index.value_or(0), report->commit_index);
  }
}

std::map<GroupId, GroupSummary> summarize_groups(const Catalog& catalog) {
  std::map<GroupId, GroupSummary> groups;
  for (const auto& [id, entry] : catalog) add_to_summary(groups, entry.entry());
  return groups;
}

}  // namespace mosaik::discovery
