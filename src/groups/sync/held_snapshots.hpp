#pragma once
// The snapshots a member holds for others to fetch (the serving side of state sync). The
// newest stays until a newer one replaces it; a replaced one stays only if a sync is using
// it (it was offered or fetched from), until snapshot_ttl passes without such use, so a sync
// under way is not cut off by the next snapshot point, and a busy group does not keep every
// snapshot of the last ttl. A snapshot is held as the machine's capture and encoded into
// items the first time a member asks for it (0801): a group that nobody syncs from never
// pays for the encoding.
//
//   HeldSnapshots held(ttl);
//   held.hold(point, machine.capture_snapshot(), now);
//   if (auto* s = held.newest_from(least, now)) offer(s->point, s->items->size());
//   auto items = held.batch(index, offset, count, now);   // nullopt: not held (any more)

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "groups/raft/types.hpp"
#include "mosaik/groups/state_sync.hpp"

namespace mosaik::groups::detail {

class HeldSnapshots {
 public:
  struct Held {
    raft::SnapshotPoint point;
    SnapshotCapture capture;
    SnapshotCapture::Items items;         // null until a member asked for it
    std::optional<raft::Time> last_used;  // offered or fetched from; nullopt: never
  };

  explicit HeldSnapshots(std::chrono::nanoseconds ttl) : ttl_(ttl) {}

  void hold(raft::SnapshotPoint point, SnapshotCapture capture, raft::Time now);
  // The newest snapshot at or after `least`, if one is held, with its items encoded.
  [[nodiscard]] const Held* newest_from(Index least, raft::Time now);
  // Items from `offset` of the snapshot at `index`: at most `count`, and while they stay
  // within kMaxBatchBytes (always one). Empty when offset is past the end; nullopt when
  // that snapshot is not held.
  [[nodiscard]] std::optional<std::vector<SnapshotItem>> batch(Index index, std::uint64_t offset,
                                                               std::uint64_t count, raft::Time now);
  [[nodiscard]] std::size_t size() const { return held_.size(); }
  // Captures encoded so far (by the machine's encoder, not given as items).
  [[nodiscard]] std::uint64_t encodes() const { return encodes_; }

 private:
  void expire(raft::Time now);
  const std::vector<SnapshotItem>& items_of(Held& held);

  std::chrono::nanoseconds ttl_;
  std::map<Index, Held> held_;
  std::uint64_t encodes_ = 0;
};

}  // namespace mosaik::groups::detail
