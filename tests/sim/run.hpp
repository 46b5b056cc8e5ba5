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

struct Params {
  std::size_t nodes;
  std::size_t clients;
  LinkFaults link;
  std::uint64_t compact_after;
  bool partitions, crashes, state_loss, pauses, churn;
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

inline groups::ConsensusConfig sim_consensus(std::size_t nodes) {
  return groups::ConsensusConfig::builder()
      .with_heartbeat_interval(std::chrono::milliseconds(50))
      .with_heartbeat_jitter(std::chrono::milliseconds(10))
      .with_election_timeout(std::chrono::milliseconds(300))
      .with_election_timeout_jitter(std::chrono::milliseconds(150))
      .with_bootstrap_delay(std::chrono::milliseconds(100))
      .with_forward_timeout(std::chrono::milliseconds(600))
      .with_query_timeout(std::chrono::milliseconds(600))
      .with_bootstrap_expect(static_cast<std::uint32_t>(nodes))
      .with_member_timeout(std::chrono::seconds(2))
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
    ClusterConfig config{sim_consensus(params_.nodes), params_.compact_after, Time(std::chrono::milliseconds(10))};
    ClusterHooks hooks{
        [this](std::uint32_t, const ProposalOutcome& p) { on_proposal(p); },
        [this](std::uint32_t, std::uint64_t request, std::uint64_t value) { finish(request, Outcome::Ok, value); },
        [this](std::uint32_t, std::uint64_t request) { finish(request, Outcome::Discard, 0); },
        [this](std::uint32_t slot) { on_crash(slot); }};
    cluster_ = std::make_unique<SimCluster>(seed, config, params_.nodes, checker_, std::move(hooks));
    cluster_->network().faults = params_.link;
    clients_.resize(params_.clients);
    for (auto& c : clients_) c.next_at = Time(std::chrono::milliseconds(500));  // after the bootstrap delay
  }

  ScheduleResult run();

 private:
  enum class Outcome { Ok, Discard, Unknown };
  struct Client {
    bool busy = false;
    std::uint64_t request = 0;
    std::size_t op = 0;
    std::uint32_t slot = 0;
    Time deadline{};
    Time next_at{};
  };

  void on_proposal(const ProposalOutcome& p);
  void on_crash(std::uint32_t slot);
  void finish(std::uint64_t request, Outcome outcome, std::uint64_t value);
  void drive_clients();
  void nemesis_step();
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
};

}  // namespace mosaik::sim::detail
