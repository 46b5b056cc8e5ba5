#pragma once
// A simulated group: cores on a SimNetwork in virtual time, each with a "disk" (what its
// Ready asked to persist) and the key-value state machine. It carries out faults (crash,
// restart with or without state, pause, departure, join) and reports client-visible
// outcomes through hooks; the SafetyChecker sees every apply and every new leader.

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "groups/raft/core.hpp"
#include "kv.hpp"
#include "network.hpp"
#include "safety_checker.hpp"

namespace mosaik::sim {

using groups::Index;
using groups::raft::Core;
using groups::raft::NodeId;
using groups::raft::ProposalOutcome;

struct ClusterHooks {
  std::function<void(std::uint32_t slot, const ProposalOutcome&)> on_proposal;
  // A strong read was served at `slot` with `value` (state applied through `at`).
  std::function<void(std::uint32_t slot, std::uint64_t request, std::uint64_t value)> on_read;
  std::function<void(std::uint32_t slot, std::uint64_t request)> on_read_failed;
  std::function<void(std::uint32_t slot)> on_crash;
};

struct ClusterConfig {
  groups::ConsensusConfig consensus;
  std::uint64_t compact_after = 0;  // entries applied beyond the log base before compacting; 0: never
  Time tick_interval = Time(std::chrono::milliseconds(10));
};

class SimCluster {
 public:
  SimCluster(std::uint64_t seed, ClusterConfig config, std::size_t nodes, SafetyChecker& checker,
             ClusterHooks hooks);

  [[nodiscard]] Time now() const { return now_; }
  // Delivers messages and ticks nodes in time order until `t`.
  void advance_to(Time t);
  [[nodiscard]] SimNetwork& network() { return network_; }

  // ---- faults
  void crash(std::uint32_t slot);
  void restart(std::uint32_t slot);           // with the durable state it had
  void restart_fresh(std::uint32_t slot);     // state lost: comes back as a new member
  void pause(std::uint32_t slot);
  void resume(std::uint32_t slot);
  void depart(std::uint32_t slot);            // leaves for good, telling its peers
  std::uint32_t join();                       // a new node
  void refresh_bonds();

  // ---- clients
  void propose(std::uint32_t slot, std::uint64_t request, Put put);
  void read(std::uint32_t slot, std::uint64_t request);

  // ---- observation
  [[nodiscard]] std::size_t size() const { return nodes_.size(); }
  [[nodiscard]] bool alive(std::uint32_t slot) const { return nodes_[slot].core && !nodes_[slot].paused; }
  [[nodiscard]] bool crashed(std::uint32_t slot) const { return !nodes_[slot].core && !nodes_[slot].departed; }
  [[nodiscard]] bool paused(std::uint32_t slot) const { return nodes_[slot].paused; }
  [[nodiscard]] bool departed(std::uint32_t slot) const { return nodes_[slot].departed; }
  [[nodiscard]] const Core* core(std::uint32_t slot) const { return nodes_[slot].core.get(); }
  [[nodiscard]] std::optional<std::uint32_t> leader() const;
  [[nodiscard]] Index applied(std::uint32_t slot) const { return nodes_[slot].applied; }
  [[nodiscard]] std::vector<const Core*> live_cores() const;
  [[nodiscard]] std::optional<std::uint32_t> slot_of(const NodeId& id) const;

 private:
  struct Disk {
    groups::raft::HardState hard;
    groups::raft::SnapshotPoint base;
    KvState base_state;
    std::vector<groups::raft::Entry> entries;
  };
  struct PendingGet {
    std::uint64_t request;
    Index index;
  };
  struct Node {
    NodeId id;
    std::uint32_t generation = 0;
    std::uint64_t epoch = 0;  // bumped at every start: in-flight messages to older lives are lost
    std::unique_ptr<Core> core;
    bool paused = false;
    bool departed = false;
    Disk disk;
    KvState kv;
    Index applied;
    std::vector<PendingGet> gets;
    std::set<NodeId> bonded;
    std::optional<groups::raft::StateSyncRequest> sync_wanted;
    std::vector<Delivery> held;  // delivered while paused
    Time next_tick{};
  };

  void start(std::uint32_t slot);
  void stop(std::uint32_t slot);
  void deliver(Delivery d);
  void drain(std::uint32_t slot);
  void persist(Node& n, groups::raft::Ready& r);
  void serve_gets(std::uint32_t slot);
  void try_state_sync(std::uint32_t slot);
  void maybe_compact(Node& n);
  NodeId make_id(std::uint32_t slot, std::uint32_t generation) const;

  std::uint64_t seed_;
  ClusterConfig config_;
  SimNetwork network_;
  SafetyChecker& checker_;
  ClusterHooks hooks_;
  Time now_{};
  std::vector<Node> nodes_;
  std::unordered_map<NodeId, std::uint32_t> slot_by_id_;
};

}  // namespace mosaik::sim
