#pragma once
// How eagerly a node seeks leadership. Per node: it does not feed the GroupId.
//
//   LeadershipPreference p = LeadershipPreference::reluctant();   // factor 3
//   if (p.never_campaigns()) { ... }                              // Observer

#include <cstdint>

namespace mosaik::groups {

class LeadershipPreference {
 public:
  enum class Kind : std::uint8_t { Normal, Reluctant, Observer, Learner };

  // Standard Raft: campaigns when its election timeout fires.
  static constexpr LeadershipPreference normal() { return {Kind::Normal, 1}; }
  // Election timeout and bootstrap delay multiplied by `factor` (default 3); can still lead.
  static constexpr LeadershipPreference reluctant(std::uint32_t factor = 3) {
    return {Kind::Reluctant, factor == 0 ? 1 : factor};
  }
  // Never campaigns; still votes and replicates. A group of observers elects no leader.
  static constexpr LeadershipPreference observer() { return {Kind::Observer, 1}; }
  // mosaik C++: never campaigns and never votes. It says so when it bonds, and the leader keeps
  // it a learner (replicated to, never in a quorum): a collection's reader (docs/decisions/0800).
  static constexpr LeadershipPreference learner() { return {Kind::Learner, 1}; }

  [[nodiscard]] constexpr Kind kind() const { return kind_; }
  [[nodiscard]] constexpr std::uint32_t factor() const { return factor_; }
  [[nodiscard]] constexpr bool never_campaigns() const { return kind_ == Kind::Observer || kind_ == Kind::Learner; }
  [[nodiscard]] constexpr bool only_learns() const { return kind_ == Kind::Learner; }
  friend constexpr bool operator==(const LeadershipPreference&,
                                   const LeadershipPreference&) = default;

 private:
  constexpr LeadershipPreference(Kind k, std::uint32_t f) : kind_(k), factor_(f) {}
  Kind kind_;
  std::uint32_t factor_;
};

}  // namespace mosaik::groups
