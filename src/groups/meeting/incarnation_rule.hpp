#pragma once
// Which of two incarnations of one GroupId yields when they meet (docs/decisions/0407). Pure:
// every member of both sides evaluates it on the same facts (its own incarnation and the
// reports of the members it is bonded with, decision 0702) and comes to the same answer.
//
//   IncarnationFacts own{core.incarnation(), core.membership().voters.size()};
//   if (auto winner = incarnation_to_join(own, bonded_reports)) rejoin(*winner);

#include <cstdint>
#include <optional>
#include <span>

#include "mosaik/discovery/peer_entry.hpp"

namespace mosaik::groups::detail {

// What a member knows of its incarnation, and what its catalog report says of it.
struct IncarnationFacts {
  std::uint64_t incarnation = 0;  // 0: not bound to any incarnation
  std::uint64_t voters = 0;       // voters of the membership in force at the reporting member
  friend bool operator==(const IncarnationFacts&, const IncarnationFacts&) = default;
};

// Whether `own` yields to `other`: the one with fewer voters rejoins the other; at equal
// voters the smaller incarnation id does. A strict total order on (voters, incarnation), so
// of two distinct incarnations exactly one yields, on facts both sides agree on.
[[nodiscard]] bool yields_to(const IncarnationFacts& own, const IncarnationFacts& other);

// The incarnation this member should leave its own for, if any, given what the members it
// is bonded with now report of the group (their catalog entries, decision 0702):
// - reports of our own incarnation raise our voter count to the largest among them (a
//   follower that has not heard of a promotion yet judges as its leader does);
// - a report of another incarnation is a live rival only if it names a leader and a commit
//   index above zero (a genesis that may still fail proves nothing);
// - of the rivals we yield to, the greatest (we never join one that would yield to a third).
[[nodiscard]] std::optional<IncarnationFacts> incarnation_to_join(
    IncarnationFacts own, std::span<const discovery::GroupReport> reports);

}  // namespace mosaik::groups::detail
