#include "incarnation_rule.hpp"

#include <algorithm>
#include <tuple>

namespace mosaik::groups::detail {

bool yields_to(const IncarnationFacts& own, const IncarnationFacts& other) {
  if (own.incarnation == 0 || other.incarnation == 0 || own.incarnation == other.incarnation)
    return false;
  return std::tie(own.voters, own.incarnation) < std::tie(other.voters, other.incarnation);
}

std::optional<IncarnationFacts> incarnation_to_join(
    IncarnationFacts own, std::span<const discovery::GroupReport> reports) {
  if (own.incarnation == 0) return std::nullopt;  // unbound: the core joins whoever reaches it
  for (const auto& r : reports)
    if (r.incarnation == own.incarnation) own.voters = std::max(own.voters, r.voters);
  std::optional<IncarnationFacts> best;
  for (const auto& r : reports) {
    if (!r.leader || r.commit_index == 0) continue;
    const IncarnationFacts other{r.incarnation, r.voters};
    if (yields_to(own, other) && (!best || yields_to(*best, other))) best = other;
  }
  return best;
}

}  // namespace mosaik::groups::detail
