#pragma once
// GroupSummary: a group as the catalog shows it: the peers whose entries list it and what
// each reports of it (decision 0702). The group's leader is the one named in the highest term
// reported; its term and commit index are the highest reported. Reports lag the group (a new
// leader by about a gossip round, a commit index by up to an announce interval).
//
//   auto groups = discovery::summarize_groups(network.discovery().catalog());
//   add_to_summary(groups, network.discovery().me().entry());   // our own entry is not in the catalog
//   for (const auto& [id, g] : groups) if (g.leader) fmt::print("{} led by {} in term {}", id, *g.leader, *g.term);

#include <cstdint>
#include <map>
#include <optional>
#include <set>

#include "mosaik/discovery/catalog.hpp"

namespace mosaik::discovery {

struct GroupSummary {
  std::set<PeerId> members;                   // every peer whose entry lists the group
  std::map<PeerId, GroupReport> reports;      // the members that reported, and what
  std::optional<PeerId> leader;               // named in the highest term reported
  std::optional<std::uint64_t> term;          // the highest reported
  std::optional<std::uint64_t> commit_index;  // the highest reported
};

std::map<GroupId, GroupSummary> summarize_groups(const Catalog& catalog);
void add_to_summary(std::map<GroupId, GroupSummary>& groups, const PeerEntry& entry);

}  // namespace mosaik::discovery
