#pragma once
// What the typed group handles need from the groups subsystem (implemented by
// src/groups/service.cpp and worker.cpp): one joined group as bytes, and the registry.

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <typeindex>
#include <utility>
#include <vector>

#include <mosaik/groups/config.hpp>
#include <mosaik/groups/consensus_config.hpp>
#include <mosaik/groups/group_key.hpp>
#include <mosaik/groups/leadership_preference.hpp>
#include <mosaik/groups/state_sync.hpp>
#include <mosaik/groups/status.hpp>
#include <mosaik/primitives/async/watch.hpp>
#include <mosaik/primitives/shared_bytes.hpp>
#include <mosaik/primitives/wire.hpp>

namespace mosaik::groups::detail {

struct CommittedCommand {
  Term term;
  Index index;
  wire::SharedBytes data;  // the log entry's bytes, shared with the log (not copied)
};

// What a member held of an incarnation it left because a larger one of its GroupId met it
// (docs/decisions/0407), as bytes; Group<M> decodes it into IncarnationLost<M>.
struct LostIncarnation {
  std::uint64_t incarnation = 0;  // the one left
  std::uint64_t joined = 0;       // the one it rejoins
  IndexRange committed;           // the committed entries it still held (after `unlisted_through`)
  Index unlisted_through;         // compacted away before: committed, but no longer listable
  std::vector<CommittedCommand> commands;   // committed commands in `committed`, in order
  std::vector<CommittedCommand> uncertain;  // held after its commit index: may have committed
};
// Every incarnation this membership left, oldest first (shared, only ever appended to).
using LostIncarnations = std::shared_ptr<const std::vector<LostIncarnation>>;

// Committed commands in log order, with the commit position before them and the log's end.
using ApplyCommands = std::function<void(std::vector<CommittedCommand> commands, Cursor committed_before,
                                         Cursor log_position)>;

// A SnapshotSync machine's hooks, called on the group's executor. take() is the machine's
// capture_snapshot(), or its snapshot() already encoded.
struct SnapshotHooks {
  std::function<SnapshotCapture()> take;
  std::function<void(std::vector<SnapshotItem>)> install;
};

struct ExecuteOutcome {
  // Offline: certainly not committed; Unknown: may have committed (see CommandError::Timeout).
  enum class Kind : std::uint8_t { Committed, Offline, Unknown, TooLarge, Terminated };
  Kind kind = Kind::Offline;
  IndexRange range;  // Committed
};

// Where a query may read the state machine: at `at` (its applied position).
struct ReadBarrier {
  enum class Kind : std::uint8_t { Ready, Offline, Terminated };
  Kind kind = Kind::Offline;
  Index at;
};

// One joined group, as bytes. Everything but id(), status() and terminated() runs on
// executor().
class GroupCore {
 public:
  virtual ~GroupCore() = default;
  [[nodiscard]] virtual const GroupId& id() const = 0;
  // Any thread: the group was left or its node shut down. Its executor may be gone with the
  // node, so a handle checks this before posting anything to it.
  [[nodiscard]] virtual bool terminated() const = 0;
  [[nodiscard]] virtual asio::any_io_executor executor() const = 0;
  [[nodiscard]] virtual WatchReceiver<Status> status() const = 0;
  // Set once, before the group starts: where committed commands go.
  virtual void set_apply(ApplyCommands apply) = 0;
  // Set once, before the group starts, by groups whose machine uses SnapshotSync.
  virtual void set_snapshots(SnapshotHooks hooks) = 0;
  // Set once, before the group starts: puts the machine back to its state at join, for a
  // member that leaves its incarnation to rejoin as a new member (decision 0407). Without
  // it such a member leaves the group instead.
  virtual void set_machine_reset(std::function<void()> reset) = 0;
  // Every incarnation this member left so far.
  [[nodiscard]] virtual WatchReceiver<LostIncarnations> lost_incarnations() const = 0;
  // On executor(): appends through the leader; `done` runs once, on executor(), when the
  // commands committed (without `until_commit`: when the leader assigned their range) or
  // failed. A callback, not a coroutine: one per call was most of a caller's hand-off cost.
  virtual void submit(std::vector<wire::Bytes> commands, bool until_commit,
                      std::function<void(ExecuteOutcome)> done) = 0;
  // Weak: the state as applied here now. Strong: the leader confirmed (ReadIndex) that no
  // newer commit exists beyond an index, and this member applied up to it.
  virtual asio::awaitable<ReadBarrier> read_barrier(bool strong) = 0;
};

struct JoinTerms {
  GroupKey key;
  ConsensusConfig consensus;
  UniqueId machine_signature;
  UniqueId sync_signature;
  std::optional<SyncConfig> snapshots;  // SnapshotSync: its config; LogReplaySync: none
  LeadershipPreference preference = LeadershipPreference::normal();
};

class GroupsApi {
 public:
  using MakeState = std::function<std::shared_ptr<void>(std::shared_ptr<GroupCore>)>;
  virtual ~GroupsApi() = default;
  // The live typed state of the group `terms` name (made by `make` from a new core when there
  // is none) and whether it was made now. A live group held with another machine type is a
  // programming error (std::logic_error).
  virtual std::pair<std::shared_ptr<void>, bool> join(JoinTerms terms, std::type_index type,
                                                      const MakeState& make) = 0;
  // The last handle of the group went away.
  virtual void leave(const GroupId& id) = 0;
  [[nodiscard]] virtual const Config& config() const = 0;
};

}  // namespace mosaik::groups::detail
