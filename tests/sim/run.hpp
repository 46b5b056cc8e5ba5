#pragma once
// One schedule's run, shared by schedule.cpp (phases and checks), clients.cpp (the
// workload) and nemesis.cpp (faults). Private to the simulator.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cluster.hpp"
#include "linearizability.hpp"
#include "schedule.hpp"

namespace mosaik::sim::detail {

// A deployment's legal choices, drawn per seed (Stream::Tuning); classic schedules keep the
// defaults the simulator used before issue 19.
struct Tuning {
  std::size_t max_entries_per_append = 1024;
  std::size_t max_inflight_appends = 64;
  Time heartbeat = Time(std::chrono::milliseconds(50));
  Time heartbeat_jitter = Time(std::chrono::milliseconds(10));
  Time election = Time(std::chrono::milliseconds(300));
  Time election_jitter = Time(std::chrono::milliseconds(150));
  Time forward = Time(std::chrono::milliseconds(600));
  double clock_drift = 0;
};

// Faults beyond the classic ones.
struct HarshFaults {
  double crash_before_send = 0;  // per Ready
  bool stale_to_restarted = false;
  bool one_way = false;          // the nemesis may cut one direction of a link
  bool lagged_acks = false;      // persisted/applied reach the core at its next tick, not at once
  Time max_sync_delay{};         // writes sync after up to this (unsynced ones die in a crash); 0: at once
  bool early_appends = false;    // and a leader's appends leave before its own sync
};

enum class Script : std::uint8_t { None, Figure8, PinnedOldLeader, MembershipInPartition };

struct Params {
  std::size_t nodes;
  std::size_t clients;
  LinkFaults link;
  std::uint64_t compact_after;
  bool partitions, crashes, state_loss, pauses, churn;
  bool classic = false;
  Tuning tuning;
  HarshFaults harsh;
  Script script = Script::None;
  std::size_t replay_after = 0;  // 0412: a follower this far behind replays from the members
};

inline Params draw_params(SimRng& rng) {
  Params p;
  p.nodes = std::array<std::size_t, 3>{3, 5, 7}[rng.below(3)];
  p.clients = rng.between(2, 5);
  p.link.loss = rng.chance(0.5) ? rng.unit() * 0.3 : rng.unit() * 0.02;
  p.link.duplicate = rng.unit() * 0.05;
  const auto r = rng.unit();
  p.link.max_delay = r < 0.6 ? Time(std::chrono::milliseconds(2)) : Time(std::chrono::milliseconds(20));
  p.link.slow = rng.chance(0.3) ? rng.unit() * 0.2 : 0.0;  // the slow path: up to 10 heartbeats
  p.link.slow_max_delay = Time(std::chrono::milliseconds(500));
  p.compact_after = std::array<std::uint64_t, 3>{0, 25, 200}[rng.below(3)];
  p.partitions = rng.chance(0.7);
  p.crashes = rng.chance(0.6);
  p.state_loss = rng.chance(0.4);
  p.pauses = rng.chance(0.4);
  p.churn = rng.chance(0.4);
  return p;
}

// Drawn from its own stream, so a classic schedule's draws are what they were.
inline void draw_variation(Params& p, SimRng& rng) {
  using std::chrono::milliseconds;
  auto& t = p.tuning;
  t.max_entries_per_append = std::array<std::size_t, 3>{1, 4, 1024}[rng.below(3)];
  t.max_inflight_appends = std::array<std::size_t, 3>{1, 4, 64}[rng.below(3)];
  t.heartbeat = Time(milliseconds(std::array<int, 3>{20, 50, 100}[rng.below(3)]));
  t.heartbeat_jitter = t.heartbeat * static_cast<int>(rng.below(4)) / 10;
  t.election = t.heartbeat * static_cast<int>(rng.between(4, 10));
  t.election_jitter = t.election * static_cast<int>(rng.between(1, 4)) / 4;
  t.forward = t.election * static_cast<int>(rng.between(2, 3));
  t.clock_drift = std::array<double, 3>{0.0, 0.01, 0.1}[rng.below(3)];
  p.harsh.crash_before_send = std::array<double, 3>{0.0, 0.0003, 0.002}[rng.below(3)];
  p.harsh.stale_to_restarted = rng.chance(0.5);
  p.harsh.one_way = rng.chance(0.5);
  const auto script = rng.below(100);
  p.script = script < 8 ? Script::Figure8 : script < 16 ? Script::PinnedOldLeader
                                          : script < 24 ? Script::MembershipInPartition : Script::None;
  if (p.script == Script::Figure8) p.nodes = 5;
  if (p.script != Script::None) p.partitions = true;
}

inline groups::ConsensusConfig sim_consensus(std::size_t nodes, const Tuning& t) {
  return groups::ConsensusConfig::builder()
      .with_heartbeat_interval(t.heartbeat)
      .with_heartbeat_jitter(t.heartbeat_jitter)
      .with_election_timeout(t.election)
      .with_election_timeout_jitter(t.election_jitter)
      .with_bootstrap_delay(std::chrono::milliseconds(100))
      .with_forward_timeout(t.forward)
      .with_query_timeout(t.forward)
      .with_bootstrap_expect(static_cast<std::uint32_t>(nodes))
      .with_member_timeout(std::max<Time>(std::chrono::seconds(2), t.election * 4))
      .build();
}

class Run {
 public:
  Run(std::uint64_t seed, const ScheduleOptions& options)
      : seed_(seed),
        options_(options),
        nemesis_(derive_seed(seed, Stream::Nemesis)),
        clients_rng_(derive_seed(seed, Stream::Clients)) {
    SimRng prng(derive_seed(seed, Stream::Options));
    params_ = draw_params(prng);
    params_.classic = options.classic_max_entries_per_append.has_value();
    if (params_.classic) {
      params_.tuning.max_entries_per_append = *options.classic_max_entries_per_append;
    } else {
      SimRng vrng(derive_seed(seed, Stream::Tuning));
      draw_variation(params_, vrng);
      SimRng arng(derive_seed(seed, Stream::Acks));  // its own stream: earlier draws stay as they were
      params_.harsh.lagged_acks = arng.chance(0.5);
      SimRng srng(derive_seed(seed, Stream::Sync));  // issue 17's disk: its own stream too
      if (srng.chance(0.5)) {
        params_.harsh.max_sync_delay = Time(std::chrono::milliseconds(std::array<int, 4>{1, 5, 20, 60}[srng.below(4)]));
        params_.harsh.early_appends = srng.chance(0.5);
      }
      SimRng rrng(derive_seed(seed, Stream::Replay));  // 0412: its own stream too
      params_.replay_after = std::array<std::size_t, 3>{0, 8, 40}[rrng.below(3)];
    }
    const auto& t = params_.tuning;
    ClusterConfig config{sim_consensus(params_.nodes, t), params_.compact_after, Time(std::chrono::milliseconds(10))};
    config.max_entries_per_append = t.max_entries_per_append;
    config.max_inflight_appends = t.max_inflight_appends;
    config.clock_drift = t.clock_drift;
    config.crash_before_send = params_.harsh.crash_before_send;
    config.stale_to_restarted = params_.harsh.stale_to_restarted;
    config.lagged_acks = params_.harsh.lagged_acks;
    config.max_sync_delay = params_.harsh.max_sync_delay;
    config.early_appends = params_.harsh.early_appends;
    config.replay_after = params_.replay_after;
    config.max_steps = options.max_steps;
    config.planted = options.planted;
    ClusterHooks hooks{
        [this](std::uint32_t, const ProposalOutcome& p) { on_proposal(p); },
        [this](std::uint32_t, std::uint64_t request, std::uint64_t value) { finish(request, Outcome::Ok, value); },
        [this](std::uint32_t, std::uint64_t request) { finish(request, Outcome::Discard, 0); },
        [this](std::uint32_t slot) { on_crash(slot); }};
    cluster_ = std::make_unique<SimCluster>(seed, config, params_.nodes, checker_, std::move(hooks));
    cluster_->network().faults = params_.link;
    clients_.resize(params_.clients + 1);
    for (auto& c : clients_) c.next_at = Time(std::chrono::milliseconds(500));  // after the bootstrap delay
    clients_.back().scripted = true;
    script_rng_ = SimRng(derive_seed(seed, Stream::Script));
  }

  ScheduleResult run();
  void phases();  // chaos, then heal
  [[nodiscard]] std::string description() const { return describe(); }

 private:
  enum class Outcome { Ok, Discard, Unknown };
  struct Client {
    bool busy = false;
    std::uint64_t request = 0;
    std::size_t op = 0;
    std::uint32_t slot = 0;
    Time deadline{};
    Time next_at{};
    std::optional<std::uint32_t> pinned;  // a script keeps this client on one node
    bool scripted = false;                // the script's own writes: never driven at random
  };

  void on_proposal(const ProposalOutcome& p);
  void on_crash(std::uint32_t slot);
  void finish(std::uint64_t request, Outcome outcome, std::uint64_t value);
  void drive_clients();
  void nemesis_step();
  void script_step();  // script.cpp
  bool script_done() const { return params_.script == Script::None || script_phase_ < 0; }
  void script_put(std::uint32_t slot);
  bool may_take_one_more() const;
  void heal();
  bool settled_probe(Time& probe_retry);
  std::string describe() const;

  std::uint64_t seed_;
  ScheduleOptions options_;
  Params params_;
  SimRng nemesis_;
  SimRng clients_rng_;
  SafetyChecker checker_;
  History history_;
  std::unique_ptr<SimCluster> cluster_;
  std::vector<Client> clients_;
  std::map<std::uint64_t, std::size_t> by_request_;  // request -> client
  std::uint64_t next_request_ = 1;
  std::uint64_t next_value_ = 1;
  std::size_t invoked_ = 0, ok_ = 0, failed_ = 0, unknown_ = 0, faults_ = 0;
  Time last_state_loss_{};
  bool chaos_ = true;
  std::uint64_t probe_request_ = 0;
  bool probe_committed_ = false;
  // script.cpp: the phase of the scripted schedule (-1: done) and what it chose.
  SimRng script_rng_{0};
  int script_phase_ = 0;
  Time script_at_{};
  std::uint32_t script_a_ = 0, script_b_ = 0, script_w_ = 0;
  groups::Term script_term_;
};

}  // namespace mosaik::sim::detail
