#pragma once
// A simulated group: cores on a SimNetwork in virtual time, each with a disk (sim_disk.hpp:
// what its Readies asked to persist, synced at once or after a drawn delay), its own
// drifting clock and the key-value state machine. It carries out faults (crash with the
// unsynced writes lost and maybe a torn last record, crash between persist and send,
// restart with or without state, pause, departure, join, stale deliveries to a new life)
// and reports client-visible outcomes through hooks; the SafetyChecker sees every apply and
// every new leader, and the per-step invariants (invariants.cpp) every Ready.

#include <deque>
#include <functional>
#include <map>
#include <tuple>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include <stdexcept>

#include "groups/raft/core.hpp"
#include "kv.hpp"
#include "network.hpp"
#include "safety_checker.hpp"
#include "sim_disk.hpp"

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
  std::size_t max_entries_per_append = 1024;
  std::size_t max_inflight_appends = 64;
  double clock_drift = 0;           // each life's clock runs at a rate drawn in [1 - d, 1 + d]
  double crash_before_send = 0;     // per Ready: persist a prefix of it, crash, reboot later
  bool stale_to_restarted = false;  // messages in flight to a node's previous life still arrive
  bool lagged_acks = false;         // persisted()/applied() are reported at the node's next tick
  Time max_sync_delay{};            // a Ready's writes sync after [0, this]; 0: at once
  bool early_appends = false;       // with max_sync_delay: a leader's appends leave before its sync
  // A follower this far behind fetches committed entries from the members (0412); 0: never.
  std::size_t replay_after = 0;
  std::uint64_t max_steps = 0;      // deliveries and ticks before StepBudgetExceeded; 0: unbounded
  groups::raft::PlantedBug planted = groups::raft::PlantedBug::None;
};

// A schedule that ran past its step budget (a message storm, a livelock): reported with the seed.
struct StepBudgetExceeded : std::runtime_error {
  using std::runtime_error::runtime_error;
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
  [[nodiscard]] std::uint64_t steps() const { return steps_; }
  [[nodiscard]] std::size_t torn_crashes() const { return torn_crashes_; }
  [[nodiscard]] std::size_t lost_unsynced_writes() const { return lost_unsynced_; }
  [[nodiscard]] std::size_t torn_records() const { return torn_records_; }
  [[nodiscard]] std::size_t replayed_batches() const { return replayed_batches_; }
  // The full comparison of every disk with its core's log (per step only ends are compared).
  void check_disks_fully();

 private:
  struct LeaderContact {  // the last Append/Heartbeat/StateSync of the leader the core follows
    bool valid = false;
    NodeId from;
    groups::Term term;
    Time at{};  // the core's clock
  };
  struct CommitWatch {  // the core's term and commit at its previous Ready
    groups::Term term;
    Index commit;
  };
  struct PendingGet {
    std::uint64_t request;
    Index index;
  };
  struct Node {
    NodeId id;
    std::uint32_t generation = 0;
    bool may_found = true;  // a founder; false once it joined later or lost its log
    std::uint64_t epoch = 0;  // bumped at every start: in-flight messages to older lives are lost
    std::unique_ptr<Core> core;
    bool paused = false;
    bool departed = false;
    SimDisk disk;
    KvState kv;
    Index applied;
    std::vector<PendingGet> gets;
    std::set<NodeId> bonded;
    std::optional<groups::raft::StateSyncRequest> sync_wanted;
    std::optional<groups::raft::ReplayRequest> replay_wanted;
    std::uint32_t replay_source = 0;  // where the next batch is fetched from (round robin)
    std::vector<Delivery> held;  // delivered while paused
    Time next_tick{};
    Time core_now{};  // the last time given to the core
    Time started_at{};
    double clock_rate = 1.0;
    std::optional<Time> reboot_at;  // crashed between persist and send: comes back then
    std::optional<groups::Cursor> unreported_persist;  // lagged_acks: written, not yet told
    std::optional<Index> unreported_apply;
    LeaderContact contact;
    CommitWatch watch;
  };

  void start(std::uint32_t slot);
  void stop(std::uint32_t slot);
  void deliver(Delivery d);
  void drain(std::uint32_t slot);
  void trace_memberships(std::uint32_t slot, const groups::raft::Ready& r) const;
  void persist(Node& n, groups::raft::Ready& r, const KvState& at_snapshot);
  void write_and_send(std::uint32_t slot, groups::raft::Ready& r);
  void sync_due(std::uint32_t slot);
  void send(std::uint32_t slot, std::vector<groups::raft::Message>& messages);
  void send_appends_now(std::uint32_t slot, std::vector<groups::raft::Message>& messages);
  void report_acks(Node& n);
  void lose_unsynced(std::uint32_t slot);
  void crash_before_send(std::uint32_t slot, groups::raft::Ready& r);
  [[nodiscard]] Time local_now(const Node& n) const;
  void count_step();

  // invariants.cpp: checked on every Ready, with the seed reported by the caller.
  void check_before_persist(std::uint32_t slot, const groups::raft::Ready& r);
  void check_disk_equals_core(std::uint32_t slot);
  void check_leaving(std::uint32_t slot, const std::vector<groups::raft::Message>& messages);
  void check_pre_vote_grants(std::uint32_t slot, const std::vector<groups::raft::Message>& messages);
  void check_commit(std::uint32_t slot);
  void check_pre_vote_kept_state(std::uint32_t slot, const groups::raft::HardState& before);
  void note_leader_contact(std::uint32_t slot, groups::raft::MessageType type, const NodeId& from, groups::Term term);
  [[nodiscard]] bool disk_holds(const SimDisk& d, Index i, groups::Term t) const;
  [[nodiscard]] std::optional<groups::Term> committed_term(std::uint64_t incarnation, Index i) const;
  void serve_gets(std::uint32_t slot);
  void try_state_sync(std::uint32_t slot);
  void replay_batch(std::uint32_t slot);
  void maybe_compact(Node& n);
  NodeId make_id(std::uint32_t slot, std::uint32_t generation) const;

  std::uint64_t seed_;
  ClusterConfig config_;
  SimNetwork network_;
  SafetyChecker& checker_;
  ClusterHooks hooks_;
  Time now_{};
  std::deque<Node> nodes_;  // a core holds a reference to its node's disk: never moved
  std::unordered_map<NodeId, std::uint32_t> slot_by_id_;
  SimRng disk_rng_;
  SimRng sync_rng_;  // sync delays and torn records: its own stream, so disk_rng_'s draws stay
  std::uint64_t steps_ = 0;
  std::size_t torn_crashes_ = 0;
  std::size_t lost_unsynced_ = 0;  // crashes that lost unsynced writes
  std::size_t torn_records_ = 0;   // torn records recovery dropped
  std::size_t replayed_batches_ = 0;  // runs a lagging member fetched from another and took
  // (incarnation, term, voter) -> the candidate it granted: one vote per voter per term.
  std::map<std::tuple<std::uint64_t, std::uint64_t, NodeId>, NodeId> votes_;
  // incarnation -> the term of each index (index - 1) a leader committed.
  std::map<std::uint64_t, std::vector<groups::Term>> committed_;
};

}  // namespace mosaik::sim
