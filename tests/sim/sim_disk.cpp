#include "sim_disk.hpp"

#include <algorithm>

#include "groups/storage/crc32c.hpp"

namespace mosaik::sim {

using groups::raft::Entry;

namespace {
constexpr std::size_t kRecordHeaderBytes = 8 + 8 + 1;

void put_u64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::uint64_t get_u64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t{p[i]} << (8 * i);
  return v;
}

std::size_t records_of(const groups::raft::Ready& r) {
  return (r.snapshot ? 1 : 0) + (r.hard_state ? 1 : 0) + r.entries.size();
}
}  // namespace

std::vector<std::uint8_t> encode_record(const Entry& e) {
  std::vector<std::uint8_t> out;
  out.reserve(kRecordHeaderBytes + e.data.size());
  put_u64(out, e.index.value);
  put_u64(out, e.term.value);
  out.push_back(e.kind);
  out.insert(out.end(), e.data.begin(), e.data.end());
  return out;
}

void SimDisk::hand_out(DiskWrite w) {
  if (!unsynced_.empty()) w.due = std::max(w.due, unsynced_.back().due);
  unsynced_.push_back(std::move(w));
}

std::optional<Time> SimDisk::next_due() const {
  if (unsynced_.empty()) return std::nullopt;
  return unsynced_.front().due;
}

std::optional<DiskWrite> SimDisk::sync_due(Time now) {
  if (unsynced_.empty() || unsynced_.front().due > now) return std::nullopt;
  DiskWrite w = std::move(unsynced_.front());
  unsynced_.pop_front();
  return w;
}

std::size_t SimDisk::unsynced_records() const {
  std::size_t n = 0;
  for (const auto& w : unsynced_) n += records_of(w.writes);
  return n;
}

SimDisk::Survivors SimDisk::lose_unsynced(std::size_t kept) {
  Survivors out;
  for (auto& w : unsynced_) {
    const std::size_t records = records_of(w.writes);
    if (kept >= records) {
      kept -= records;
      w.writes.messages.clear();  // a crash sends nothing
      out.writes.push_back(std::move(w));
      continue;
    }
    // The cut falls inside this write: its records in order, snapshot, hard state, entries.
    DiskWrite part;
    part.snapshot_state = w.snapshot_state;
    part.due = w.due;
    if (w.writes.snapshot && kept > 0) {
      part.writes.snapshot = w.writes.snapshot;
      --kept;
    } else if (w.writes.snapshot) {
      break;
    }
    if (w.writes.hard_state && kept > 0) {
      part.writes.hard_state = w.writes.hard_state;
      --kept;
    } else if (w.writes.hard_state) {
      out.writes.push_back(std::move(part));
      break;
    }
    part.writes.entries.assign(w.writes.entries.begin(), w.writes.entries.begin() + static_cast<std::ptrdiff_t>(kept));
    out.next_entry = w.writes.entries[kept];
    out.writes.push_back(std::move(part));
    break;
  }
  unsynced_.clear();
  return out;
}

void SimDisk::tear(const Entry& entry, std::size_t cut) {
  auto bytes = encode_record(entry);
  const auto crc = groups::storage::crc32c(bytes);
  bytes.resize(std::min(cut, bytes.size()));
  torn_ = TornRecord{std::move(bytes), crc};
}

bool SimDisk::recover() {
  if (!torn_) return false;
  const auto record = std::move(*torn_);
  torn_.reset();
  if (record.bytes.size() >= kRecordHeaderBytes && groups::storage::crc32c(record.bytes) == record.crc) {
    Entry e;
    e.index = groups::Index(get_u64(record.bytes.data()));
    e.term = groups::Term(get_u64(record.bytes.data() + 8));
    e.kind = record.bytes[16];
    e.data = groups::raft::Bytes(record.bytes.begin() + kRecordHeaderBytes, record.bytes.end());
    log.save(std::nullopt, std::nullopt, std::span<const Entry>(&e, 1));
    return false;
  }
  return true;
}

}  // namespace mosaik::sim
