#pragma once
// Deliberate protocol bugs for the simulator's self-test (tests/sim/planted_bug_test.cpp):
// each breaks one rule, and the simulator's CI budget must catch each. Only a core compiled
// with MOSAIK_RAFT_PLANTED_BUGS acts on CoreOptions::planted_bug; the library users link
// compiles every mutation out.
//
//   CoreOptions o;  o.planted_bug = PlantedBug::VoteBeforePersist;  // planted build only

#include <cstdint>

namespace mosaik::groups::raft {

enum class PlantedBug : std::uint8_t {
  None,
  CommitWithoutQuorum,      // the leader commits whatever it holds
  VoteBeforePersist,        // a granted vote's reply leaves before the vote is persisted
  VoteNeverDurable,         // a granted vote is never handed out for persistence
  CountEarlierTermReplicas, // §5.4.2 removed (and the election no-op disabled)
  PreVoteBumpsTerm,         // a pre-vote request moves the voter's term
  PreVoteIgnoresLease,      // a pre-vote is granted while a leader is live
  VoteIgnoresLog,           // (pre-)votes granted without the up-to-date log check (§5.4.1)
  AppendKeepsConflicts,     // a follower keeps a conflicting entry and its suffix
  OverlappingMembership,    // a membership change proposed before the previous one committed
  ReadWithoutConfirmation,  // a ReadIndex answered without a confirming heartbeat round
  LearnerCountedInQuorum,   // learners' replicas count toward the commit quorum
  CommitBeforePersist,      // the leader counts its own copy before persisted() says it is on disk
  CampaignBeforePersist,    // a candidate's requests leave before its new term and own vote are persisted
  ReplayServesUncommitted,  // a member serves a replaying member entries beyond its commit index (0412)
};

#ifdef MOSAIK_RAFT_PLANTED_BUGS
inline constexpr bool kPlantedBugsBuild = true;
#else
inline constexpr bool kPlantedBugsBuild = false;
#endif

}  // namespace mosaik::groups::raft
