#pragma once
// A node's simulated disk (issue 17): what survived on it, and the writes handed to it but
// not yet synced. The store the core reads holds synced writes only. Writes become durable
// in order (one writer, as LmdbStorage), each at its sync time; only then may its Ready's
// messages leave and the core hear persisted(). A power loss keeps a prefix of the unsynced
// records (snapshot, hard state, entries, Ready after Ready) and may leave the entry after
// them partly written; recovery at restart checks that record's checksum and drops it, as
// LmdbLogStore's open verifies every record.
//
//   disk.hand_out({std::move(writes), kv, now + delay});
//   while (auto w = disk.sync_due(now)) { store(w->writes); send(w->writes.messages); }
//   auto kept = disk.lose_unsynced(k);  disk.tear(entry, cut);  ...  disk.recover();

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "groups/raft/core.hpp"
#include "kv.hpp"

namespace mosaik::sim {

using groups::raft::Time;

struct DiskWrite {
  groups::raft::Ready writes;  // snapshot, hard state, entries, and the messages that wait on them
  KvState snapshot_state;      // the state machine at writes.snapshot, if any
  Time due{};                  // its sync completes then (raised to keep write order)
};

class SimDisk {
 public:
  groups::raft::MemoryLogStore log;  // synced: what the core reads and what a restart finds
  KvState base_state;                // the state machine at log.base()

  void hand_out(DiskWrite w);
  [[nodiscard]] bool has_unsynced() const { return !unsynced_.empty(); }
  [[nodiscard]] std::optional<Time> next_due() const;
  // The oldest write once its sync time came (the caller stores it); nullopt otherwise.
  std::optional<DiskWrite> sync_due(Time now);
  // Records not yet synced: a snapshot point, a hard state and each entry count one.
  [[nodiscard]] std::size_t unsynced_records() const;
  // Power loss: the first `kept` unsynced records reached the platter, in write order (the
  // caller stores them; the last write may be cut short); the rest are gone. Also returns
  // the first lost record if it is an entry: the one a crash may leave torn.
  struct Survivors {
    std::vector<DiskWrite> writes;
    std::optional<groups::raft::Entry> next_entry;
  };
  Survivors lose_unsynced(std::size_t kept);
  // `entry` reached the disk only up to byte `cut` of its record (cut < its encoded size).
  void tear(const groups::raft::Entry& entry, std::size_t cut);
  // At restart: a partly written last record fails its checksum and is dropped (true); a
  // whole one would be kept.
  bool recover();

 private:
  struct TornRecord {
    std::vector<std::uint8_t> bytes;  // what reached the disk
    std::uint32_t crc;                // of the whole record
  };
  std::deque<DiskWrite> unsynced_;
  std::optional<TornRecord> torn_;
};

// The record of an entry as the sim writes it: index (8) | term (8) | kind (1) | data.
[[nodiscard]] std::vector<std::uint8_t> encode_record(const groups::raft::Entry& e);

}  // namespace mosaik::sim
