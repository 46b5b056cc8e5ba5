#pragma once
// What a member knows about its group right now (Group::status(), the when() conditions).
//
//   auto s = group.status();  if (s.leader) fmt::print("leader {} in term {}", *s.leader, s.term);

#include <cstddef>
#include <cstdint>
#include <optional>

#include <mosaik/groups/index.hpp>
#include <mosaik/primitives/keys.hpp>

namespace mosaik::groups {

struct Status {
  std::optional<PeerId> leader;  // the leader this member follows (itself when it leads)
  bool is_leader = false;
  Term term;
  Index committed;               // the commit index this member knows
  Index log_position;            // its last log entry
  std::size_t bonds = 0;         // members it is bonded with now
  bool terminated = false;       // the group was left or the node shut down
  std::uint64_t incarnation = 0;  // the incarnation it belongs to (0: none yet; decision 0407)
  std::size_t voters = 0;         // voters of the membership in force here
  friend bool operator==(const Status&, const Status&) = default;
};

}  // namespace mosaik::groups
