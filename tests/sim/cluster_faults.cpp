// The simulated cluster's faults and its disks: crash, restart with or without the disk,
// pause, departure, join; persisting a Ready, and crashing between persist and send with
// only a prefix of it on disk.
#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "cluster.hpp"

namespace mosaik::sim {

using groups::raft::Ready;

void SimCluster::crash(std::uint32_t slot) {
  if (!nodes_[slot].core) return;
  if (std::getenv("SIM_TRACE")) fmt::print("{} n{} CRASH\n", std::chrono::duration_cast<std::chrono::milliseconds>(now_).count(), slot);
  stop(slot);
  refresh_bonds();
}

void SimCluster::restart(std::uint32_t slot) {
  nodes_[slot].reboot_at.reset();
  if (nodes_[slot].core || nodes_[slot].departed) return;
  if (std::getenv("SIM_TRACE")) fmt::print("{} n{} RESTART\n", std::chrono::duration_cast<std::chrono::milliseconds>(now_).count(), slot);
  start(slot);
  refresh_bonds();
}

void SimCluster::restart_fresh(std::uint32_t slot) {
  Node& n = nodes_[slot];
  if (n.departed) return;
  if (n.core) stop(slot);
  slot_by_id_.erase(n.id);
  n.disk = Disk{};
  n.generation += 1;
  n.may_found = false;  // its storage epoch tells the shell it lost a log: it rejoins
  start(slot);
  refresh_bonds();
}

void SimCluster::pause(std::uint32_t slot) {
  if (!nodes_[slot].core) return;
  nodes_[slot].paused = true;
  refresh_bonds();
}

void SimCluster::resume(std::uint32_t slot) {
  Node& n = nodes_[slot];
  if (!n.core || !n.paused) return;
  n.paused = false;
  refresh_bonds();
  auto held = std::move(n.held);
  n.held.clear();
  for (auto& d : held) deliver(std::move(d));
}

void SimCluster::depart(std::uint32_t slot) {
  Node& n = nodes_[slot];
  if (n.departed) return;
  const NodeId id = n.id;
  if (n.core) stop(slot);
  n.departed = true;
  slot_by_id_.erase(id);
  for (std::uint32_t s = 0; s < nodes_.size(); ++s) {
    if (!nodes_[s].core) continue;
    nodes_[s].core->peer_departed(id);
    nodes_[s].bonded.erase(id);
  }
  refresh_bonds();
}

std::uint32_t SimCluster::join() {
  nodes_.emplace_back();
  const auto slot = static_cast<std::uint32_t>(nodes_.size() - 1);
  nodes_[slot].may_found = false;  // started to join the group
  start(slot);
  refresh_bonds();
  return slot;
}

// Writes the Ready and, while the node lives, tells its core (the sim persists synchronously).
void SimCluster::persist(Node& n, Ready& r) {
  n.disk.log.save(r.snapshot, r.hard_state, r.entries);
  if (r.snapshot) n.disk.base_state = n.kv;
  if (!n.core || r.entries.empty()) return;
  n.unreported_persist = groups::Cursor{r.entries.back().term, r.entries.back().index};
  if (!config_.lagged_acks) report_acks(n);
}

// What the shell wrote and applied, told to the core (at once, or at its next tick).
void SimCluster::report_acks(Node& n) {
  if (!n.core) return;
  if (n.unreported_persist) n.core->persisted(*n.unreported_persist);
  if (n.unreported_apply) n.core->applied(*n.unreported_apply);
  n.unreported_persist.reset();
  n.unreported_apply.reset();
}

// A prefix of the Ready's writes (snapshot, hard state, entries in that order) reached the
// disk; the rest were not synced. A torn last record is found by its checksum at recovery
// and dropped, which leaves the same prefix: the disk here is the state after recovery.
void SimCluster::persist_prefix(Node& n, Ready& r, std::size_t writes) {
  Ready part;
  if (r.snapshot && writes > 0) {
    part.snapshot = r.snapshot;
    --writes;
  }
  if (r.hard_state && writes > 0) {
    part.hard_state = r.hard_state;
    --writes;
  }
  for (std::size_t i = 0; i < r.entries.size() && writes > 0; ++i, --writes) part.entries.push_back(r.entries[i]);
  persist(n, part);
}

void SimCluster::crash_before_send(std::uint32_t slot, Ready& r) {
  Node& n = nodes_[slot];
  const std::size_t writes = (r.snapshot ? 1 : 0) + (r.hard_state ? 1 : 0) + r.entries.size();
  persist_prefix(n, r, disk_rng_.below(writes + 1));
  if (writes > 0) ++torn_crashes_;
  if (std::getenv("SIM_TRACE"))
    fmt::print("{} n{} CRASH before send ({} writes)\n", std::chrono::duration_cast<std::chrono::milliseconds>(now_).count(),
               slot, writes);
  stop(slot);
  n.reboot_at = now_ + Time(std::chrono::milliseconds(disk_rng_.between(50, 1000)));
  refresh_bonds();
}

}  // namespace mosaik::sim
