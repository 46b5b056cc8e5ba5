#pragma once
// GroupLog: where a group worker keeps its log and its state machine's snapshots. In memory
// (the default: every start is a new member) or in the node's data dir: the log in LMDB
// (docs/decisions/0410), the snapshots in files beside it (0411): the same member after a
// restart, with its state. A write's completion runs on the worker's executor once the write
// is durable: at once for memory, after the fsync for disk; the worker only then reports
// `persisted` and sends the Ready's messages, or compacts the log behind a snapshot.
//
//   auto log = GroupLog::in_memory();                                   // or GroupLog::durable(...)
//   Core core(options, log->store(), now);
//   log->write(r.snapshot, r.hard_state, std::move(r.entries), [](auto result) { /* executor */ });
//   log->write_snapshot(point, capture, [](auto result) { /* executor: compact up to point */ });

#include <asio/any_io_executor.hpp>

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "groups/raft/log_store.hpp"
#include "groups/storage/snapshot_files.hpp"
#include "mosaik/groups/state_sync.hpp"

namespace mosaik::groups::storage {
class LmdbLogStore;
}

namespace mosaik::groups::detail {

class GroupLog {
 public:
  // Runs on the worker's executor (or inline, for memory) once the write is durable; an
  // error message (naming the file) if it failed.
  using Written = std::function<void(std::expected<void, std::string>)>;

  static std::unique_ptr<GroupLog> in_memory();
  // `snapshots`: where the group's snapshots go; `restored`: the newest one read back at the
  // open (its point is at or after the log's base), for the worker to install first.
  static std::unique_ptr<GroupLog> durable(std::unique_ptr<storage::LmdbLogStore> store,
                                           std::shared_ptr<storage::SnapshotFiles> snapshots,
                                           std::optional<storage::StoredSnapshot> restored, asio::any_io_executor executor);

  virtual ~GroupLog() = default;
  [[nodiscard]] virtual const raft::LogStore& store() const = 0;
  // The storage epoch kept with the log; nullopt when the log does not outlive the process.
  [[nodiscard]] virtual std::optional<std::uint64_t> epoch() const = 0;
  virtual void write(std::optional<raft::SnapshotPoint> snapshot, std::optional<raft::HardState> hard,
                     std::vector<raft::Entry> entries, Written written) = 0;
  virtual void compact(const raft::SnapshotPoint& point, Written written) = 0;
  // The state machine's snapshot at `point`, encoded and written off the executor (memory:
  // nothing to write, done at once). Only once it completed may the log be compacted to point.
  virtual void write_snapshot(const raft::SnapshotPoint& point, SnapshotCapture capture, Written written) = 0;
  // The snapshot read back when the log was opened, once (then nullopt).
  [[nodiscard]] virtual std::optional<storage::StoredSnapshot> take_restored() = 0;
  // From any thread: no write is queued after this returns (a later membership of the same
  // group is about to open the store). Writes queued before still complete.
  virtual void close() = 0;
};

}  // namespace mosaik::groups::detail
