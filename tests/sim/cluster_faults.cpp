// The simulated cluster's faults and its disks: crash, restart with or without the disk,
// pause, departure, join; persisting a Ready at once or when its sync is due, and losing
// the unsynced writes (some or all, maybe a torn last record) when a node crashes.
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
  n.disk = SimDisk{};
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

// Stores a Ready's writes (or what survived of them) and, while the node lives, tells its
// core: at once, or at its next tick with lagged acknowledgements.
void SimCluster::persist(Node& n, Ready& r, const KvState& at_snapshot) {
  n.disk.log.save(r.snapshot, r.hard_state, r.entries);
  if (r.snapshot) n.disk.base_state = at_snapshot;
  if (!n.core || r.entries.empty()) return;
  n.unreported_persist = groups::Cursor{r.entries.back().term, r.entries.back().index};
  if (!config_.lagged_acks) report_acks(n);
}

// A disk that syncs at once: the Ready is durable, then its messages leave.
void SimCluster::write_and_send(std::uint32_t slot, Ready& r) {
  Node& n = nodes_[slot];
  check_before_persist(slot, r);
  persist(n, r, n.kv);
  check_disk_equals_core(slot);
  send(slot, r.messages);
}

// The writer finished the syncs due by now, in order: their messages leave, the core hears.
void SimCluster::sync_due(std::uint32_t slot) {
  Node& n = nodes_[slot];
  bool synced = false;
  while (auto w = n.disk.sync_due(now_)) {
    check_before_persist(slot, w->writes);
    persist(n, w->writes, w->snapshot_state);
    send(slot, w->writes.messages);
    synced = true;
  }
  if (!synced) return;
  if (!n.disk.has_unsynced()) check_disk_equals_core(slot);
  drain(slot);  // what the acknowledgements let the core do
}

void SimCluster::send(std::uint32_t slot, std::vector<groups::raft::Message>& messages) {
  check_leaving(slot, messages);
  for (auto& m : messages) {
    auto to = slot_of(m.to);
    if (!to) continue;
    network_.send(now_, slot, *to, nodes_[*to].epoch, std::move(m));
  }
}

// What the acknowledgements say was written and applied, told to the core (at once, or at
// its next tick).
void SimCluster::report_acks(Node& n) {
  if (!n.core) return;
  if (n.unreported_persist) n.core->persisted(*n.unreported_persist);
  if (n.unreported_apply) n.core->applied(*n.unreported_apply);
  n.unreported_persist.reset();
  n.unreported_apply.reset();
}

// The node lost power: a prefix of its unsynced records (snapshot, hard state, entries, Ready
// after Ready) reached the disk, the rest did not, and the record after the prefix may be
// torn (recovery drops it at restart). The core is gone: nobody is told.
void SimCluster::lose_unsynced(std::uint32_t slot) {
  Node& n = nodes_[slot];
  if (!n.disk.has_unsynced()) return;
  const auto records = n.disk.unsynced_records();  // drawn even when 0: seeds replay as before
  auto survivors = n.disk.lose_unsynced(disk_rng_.below(records + 1));
  for (auto& w : survivors.writes) {
    check_before_persist(slot, w.writes);
    persist(n, w.writes, w.snapshot_state);
  }
  if (survivors.next_entry && sync_rng_.chance(0.5)) {
    const auto size = encode_record(*survivors.next_entry).size();
    n.disk.tear(*survivors.next_entry, sync_rng_.below(size));
  }
  ++lost_unsynced_;
  if (std::getenv("SIM_TRACE"))
    fmt::print("{} n{} lost {} unsynced records, kept {} writes\n",
               std::chrono::duration_cast<std::chrono::milliseconds>(now_).count(), slot, records, survivors.writes.size());
}

// Crashed after handing the Ready to the disk, before its messages left.
void SimCluster::crash_before_send(std::uint32_t slot, Ready& r) {
  Node& n = nodes_[slot];
  const std::size_t writes = (r.snapshot ? 1 : 0) + (r.hard_state ? 1 : 0) + r.entries.size();
  if (writes > 0) ++torn_crashes_;
  if (std::getenv("SIM_TRACE"))
    fmt::print("{} n{} CRASH before send ({} writes)\n", std::chrono::duration_cast<std::chrono::milliseconds>(now_).count(),
               slot, writes);
  Ready unsent;
  unsent.snapshot = r.snapshot;
  unsent.hard_state = std::move(r.hard_state);
  unsent.entries = std::move(r.entries);
  n.disk.hand_out({std::move(unsent), n.kv, now_});
  stop(slot);  // loses a drawn part of every unsynced write, this one included
  n.reboot_at = now_ + Time(std::chrono::milliseconds(disk_rng_.between(50, 1000)));
  refresh_bonds();
}

}  // namespace mosaik::sim
