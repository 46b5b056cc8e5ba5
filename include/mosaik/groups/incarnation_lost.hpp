#pragma once
// What a member's side had committed when its incarnation of the group yielded to a larger
// one that met it (genesis on both sides of a partition; docs/decisions/0407). The member
// dropped that log and state and rejoined the other incarnation as a new member: these
// commands are no longer in the group. The application decides what to do with them
// (execute them again, report them).
//
//   auto lost = co_await group.when().incarnation_lost();
//   for (auto& cmd : lost.commands) (void)co_await group.execute(cmd);   // if replaying suits M

#include <cstddef>
#include <cstdint>
#include <mosaik/groups/index.hpp>
#include <vector>

namespace mosaik::groups {

template <class Command>
struct IncarnationLost {
  std::uint64_t incarnation = 0;  // the incarnation this member left
  std::uint64_t joined = 0;       // the one it rejoined
  IndexRange committed;           // the committed log entries it listed (of every kind)
  // Entries up to here were compacted before (snapshots): committed and lost, but not listed.
  Index unlisted_through;
  std::vector<Command> commands;   // its side's committed commands in `committed`, in order
  std::vector<Command> uncertain;  // held after its commit index: they may have committed
  std::size_t undecodable = 0;     // entries that were no Command of this machine (skipped)
};

}  // namespace mosaik::groups
