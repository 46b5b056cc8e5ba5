#pragma once
// The snapshot state-sync protocol between bonded members (BondKind::Sync frames).
//
//   member behind           members holding snapshots
//   Query{least index}  ──►  Offer{point, item count} (or Offer with index 0: none)
//   Fetch{index, offset, count} ──► Batch{index, offset, items} | Gone{index}
//
// A snapshot is named by its index: every member snapshots at the same indices (multiples
// of snapshot_interval), so batches of one index from different members fit together.
//
// Replay (docs/decisions/0412): a member far behind fetches committed log entries.
//   ReplayFetch{index: first, count, incarnation} ──► ReplayBatch{index: first, term: of the
//   entry before, incarnation, entries} (only committed entries, maybe fewer) | Gone{index}

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "groups/raft/types.hpp"
#include "mosaik/groups/state_sync.hpp"
#include "mosaik/primitives/wire.hpp"

namespace mosaik::groups::detail {

enum class SyncKind : std::uint8_t { Query = 1, Offer = 2, Fetch = 3, Batch = 4, Gone = 5, ReplayFetch = 6, ReplayBatch = 7 };

struct SyncMessage {
  std::uint8_t kind = 0;
  std::uint64_t request = 0;  // the asker's id, echoed in the answer
  std::uint64_t index = 0;    // Query: the least index wanted; else the snapshot's index (Offer: 0 = none)
  std::uint64_t offset = 0;   // Fetch, Batch: the first item
  std::uint64_t count = 0;    // Fetch: items wanted; Offer: items in the snapshot
  raft::SnapshotPoint point;  // Offer: where the snapshot stands (cursor and membership)
  std::vector<SnapshotItem> items;  // Batch
  Term term;                        // ReplayBatch: the term of the entry before the first
  std::uint64_t incarnation = 0;    // ReplayFetch, ReplayBatch: the group incarnation
  std::vector<raft::Entry> entries;  // ReplayBatch
  MOSAIK_WIRE_FIELDS(kind, request, index, offset, count, point, items, term, incarnation, entries);

  [[nodiscard]] SyncKind sync_kind() const { return static_cast<SyncKind>(kind); }
};

// A batch stays well inside one bond frame (16 MiB) whatever the items weigh.
inline constexpr std::size_t kMaxBatchBytes = 8 << 20;
// What a Fetch may ask for at most: bounds the work one request makes a member do.
inline constexpr std::uint64_t kMaxFetchItems = 1 << 16;

[[nodiscard]] wire::Bytes encode_sync(const SyncMessage& m);
// The message, or why it is not a well-formed one (unknown kind, an Offer whose point is
// not a snapshot point, a Fetch beyond the bound, a ReplayBatch that is no run of entries).
[[nodiscard]] std::expected<SyncMessage, std::string> decode_sync(std::span<const std::uint8_t> bytes);

}  // namespace mosaik::groups::detail
