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
//
// A machine whose state is a persistent (structurally shared) value may give, instead of
// snapshot(), a capture: O(1) on the executor, encoded into items only when a member fetches
// it (docs/decisions/0801). Its encoder owns the version it captured and may run later than
// the capture, while apply() goes on:
//
//     SnapshotCapture capture_snapshot() const {
//       return SnapshotCapture([state = state_] { return items_of(state); });  // state_: persistent
//     }

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
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

// A snapshot as taken at a snapshot point: either its items, already encoded (a machine's
// snapshot()), or an encoder over an immutable capture of the state, run at most once per
// held snapshot and only when a member fetches it (capture_snapshot(), 0801). The encoder
// must own everything it reads: it runs after the machine applied later commands.
class SnapshotCapture {
 public:
  using Items = std::shared_ptr<const std::vector<SnapshotItem>>;
  using Encoder = std::function<std::vector<SnapshotItem>()>;

  SnapshotCapture() : items_(std::make_shared<const std::vector<SnapshotItem>>()) {}
  explicit SnapshotCapture(std::vector<SnapshotItem> items)
      : items_(std::make_shared<const std::vector<SnapshotItem>>(std::move(items))) {}
  explicit SnapshotCapture(Encoder encoder) : encoder_(std::move(encoder)) {}

  // Encoded already: no encoder call is left to make.
  [[nodiscard]] bool encoded() const { return items_ != nullptr; }
  // The items: the ones given, or the encoder's (called now, each time: the holder keeps them).
  [[nodiscard]] Items items() const {
    if (items_) return items_;
    return std::make_shared<const std::vector<SnapshotItem>>(encoder_ ? encoder_() : std::vector<SnapshotItem>{});
  }

 private:
  Items items_;
  Encoder encoder_;
};

// A machine whose whole state can be read out as items and replaced by them.
template <class M>
concept SnapshotStateMachine = requires(M& m, const M& cm, std::vector<SnapshotItem> items) {
  { cm.snapshot() } -> std::convertible_to<std::vector<SnapshotItem>>;
  m.install_snapshot(std::move(items));
};

// A machine that captures its state in O(1) and leaves the encoding to when it is needed.
// The core prefers capture_snapshot() when a machine has both.
template <class M>
concept CapturingStateMachine = requires(M& m, const M& cm, std::vector<SnapshotItem> items) {
  { cm.capture_snapshot() } -> std::convertible_to<SnapshotCapture>;
  m.install_snapshot(std::move(items));
};

}  // namespace mosaik::groups
