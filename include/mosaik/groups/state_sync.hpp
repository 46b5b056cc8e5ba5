#pragma once
// How a member that fell behind a compacted log catches up: the seed's snapshot state sync.
// A machine that chooses SnapshotSync gives the group two hooks, and in return its log is
// compacted: every member snapshots at the same indices (each multiple of
// snapshot_interval), keeps the log after the previous such point only, and a member behind
// it fetches the snapshot in batches from several members in parallel, then replays the log.
//
//   struct Kv {
//     ...
//     SnapshotSync state_sync() const { return SnapshotSync{}; }
//     std::vector<SnapshotItem> snapshot() const;              // the whole state, as items
//     void install_snapshot(std::vector<SnapshotItem> items);  // replaces the whole state
//   };

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <msgpack.hpp>

#include <mosaik/primitives/digest.hpp>
#include <mosaik/primitives/wire.hpp>

namespace mosaik::groups {

// One piece of a snapshot: a collection's key and value, or whatever split the machine likes.
struct SnapshotItem {
  wire::Bytes key;
  wire::Bytes value;
  friend bool operator==(const SnapshotItem&, const SnapshotItem&) = default;
  MSGPACK_DEFINE(key, value);
};

// The seed's SyncConfig (its defaults), plus snapshot_interval.
struct SyncConfig {
  std::size_t fetch_batch_size = 2000;                               // items per batch request
  std::chrono::milliseconds snapshot_ttl = std::chrono::seconds(10);  // a superseded snapshot stays fetchable
  std::chrono::milliseconds snapshot_request_timeout = std::chrono::seconds(15);  // one whole sync attempt
  std::chrono::milliseconds fetch_timeout = std::chrono::seconds(5);              // one batch
  // mosaik C++ (docs/decisions/0405): every member snapshots when it has applied a multiple of
  // this index, so snapshots of different members are of the same state. Part of the GroupId.
  std::uint64_t snapshot_interval = 10'000;
  friend bool operator==(const SyncConfig&, const SyncConfig&) = default;
};

// The snapshot strategy: see the file comment. A machine returns it from state_sync().
struct SnapshotSync {
  SyncConfig config;
  // Part of the GroupId: members must snapshot at the same indices.
  [[nodiscard]] UniqueId signature() const {
    return unique_id("mosaik.groups.sync.snapshot").derive(Digest::from_u64(config.snapshot_interval));
  }
  friend bool operator==(const SnapshotSync&, const SnapshotSync&) = default;
};

// A machine whose whole state can be read out as items and replaced by them.
template <class M>
concept SnapshotStateMachine = requires(M& m, const M& cm, std::vector<SnapshotItem> items) {
  { cm.snapshot() } -> std::convertible_to<std::vector<SnapshotItem>>;
  m.install_snapshot(std::move(items));
};

}  // namespace mosaik::groups
