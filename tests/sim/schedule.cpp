#include "schedule.hpp"

#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "cluster.hpp"
#include "linearizability.hpp"

namespace mosaik::sim {
namespace {

using namespace std::chrono_literals;
using groups::raft::FailReason;

struct Params {
  std::size_t nodes;
  std::size_t clients;
  LinkFaults link;
  std::uint64_t compact_after;
  bool partitions, crashes, state_loss, pauses, churn;
};

Params draw_params(SimRng& rng) {
  Params p;
  p.nodes = std::array<std::size_t, 3>{3, 5, 7}[rng.below(3)];
  p.clients = rng.between(2, 5);
  p.link.loss = rng.chance(0.5) ? rng.unit() * 0.3 : rng.unit() * 0.02;
  p.link.duplicate = rng.unit() * 0.05;
  const auto r = rng.unit();
  p.link.max_delay = r < 0.6 ? Time(2ms) : Time(20ms);
  p.link.slow = rng.chance(0.3) ? rng.unit() * 0.2 : 0.0;  // the slow path: up to 10 heartbeats
  p.link.slow_max_delay = Time(500ms);
  p.compact_after = std::array<std::uint64_t, 3>{0, 25, 200}[rng.below(3)];
  p.partitions = rng.chance(0.7);
  p.crashes = rng.chance(0.6);
  p.state_loss = rng.chance(0.4);
  p.pauses = rng.chance(0.4);
  p.churn = rng.chance(0.4);
  return p;
}

groups::ConsensusConfig sim_consensus(std::size_t nodes) {
  return groups::ConsensusConfig::builder()
      .with_heartbeat_interval(50ms)
      .with_heartbeat_jitter(10ms)
      .with_election_timeout(300ms)
      .with_election_timeout_jitter(150ms)
      .with_bootstrap_delay(100ms)
      .with_forward_timeout(600ms)
      .with_query_timeout(600ms)
      .with_bootstrap_expect(static_cast<std::uint32_t>(nodes))
      .with_member_timeout(2s)
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
    ClusterConfig config{sim_consensus(params_.nodes), params_.compact_after, Time(10ms)};
    ClusterHooks hooks{
        [this](std::uint32_t, const ProposalOutcome& p) { on_proposal(p); },
        [this](std::uint32_t, std::uint64_t request, std::uint64_t value) { finish(request, Outcome::Ok, value); },
        [this](std::uint32_t, std::uint64_t request) { finish(request, Outcome::Discard, 0); },
        [this](std::uint32_t slot) { on_crash(slot); }};
    cluster_ = std::make_unique<SimCluster>(seed, config, params_.nodes, checker_, std::move(hooks));
    cluster_->network().faults = params_.link;
    clients_.resize(params_.clients);
    for (auto& c : clients_) c.next_at = Time(500ms);  // after the bootstrap delay
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

void Run::on_proposal(const ProposalOutcome& p) {
  if (p.request == probe_request_ && p.request != 0) {
    if (p.kind == ProposalOutcome::Kind::Committed) probe_committed_ = true;
    return;
  }
  if (p.kind == ProposalOutcome::Kind::Accepted) return;
  if (p.kind == ProposalOutcome::Kind::Committed) return finish(p.request, Outcome::Ok, 0);
  const bool certain = p.reason == FailReason::NoLeader || p.reason == FailReason::Busy ||
                       p.reason == FailReason::Dropped;
  finish(p.request, certain ? Outcome::Discard : Outcome::Unknown, 0);
}

void Run::finish(std::uint64_t request, Outcome outcome, std::uint64_t value) {
  auto it = by_request_.find(request);
  if (it == by_request_.end()) return;  // late: the client gave up already
  Client& c = clients_[it->second];
  by_request_.erase(it);
  switch (outcome) {
    case Outcome::Ok: history_.complete(c.op, value); ++ok_; break;
    case Outcome::Discard: history_.discard(c.op); ++failed_; break;
    case Outcome::Unknown: ++unknown_; break;  // a Put that may or may not take effect
  }
  c.busy = false;
  // Think time; back off after a failure so elections are not flooded with doomed requests.
  const auto pause_ms = outcome == Outcome::Ok ? clients_rng_.below(40) : clients_rng_.between(50, 200);
  c.next_at = cluster_->now() + Time(std::chrono::milliseconds(pause_ms));
}

void Run::on_crash(std::uint32_t slot) {
  for (auto& c : clients_) {
    if (!c.busy || c.slot != slot) continue;
    // Lost with the node: a Put may have been appended already; a Get had no effect.
    const bool get = history_.ops()[c.op].kind == History::Kind::Get;
    if (get) history_.discard(c.op);
    by_request_.erase(c.request);
    (get ? failed_ : unknown_) += 1;
    c.busy = false;
    c.next_at = cluster_->now() + Time(5ms);
  }
}

void Run::drive_clients() {
  const Time now = cluster_->now();
  for (std::size_t i = 0; i < clients_.size(); ++i) {
    Client& c = clients_[i];
    if (c.busy && now >= c.deadline) {
      by_request_.erase(c.request);
      const bool get = history_.ops()[c.op].kind == History::Kind::Get;
      if (get) history_.discard(c.op);
      (get ? failed_ : unknown_) += 1;
      c.busy = false;
      c.next_at = now;
    }
    if (c.busy || now < c.next_at || !chaos_ || invoked_ >= options_.min_ops) continue;
    std::vector<std::uint32_t> candidates;
    for (std::uint32_t s = 0; s < cluster_->size(); ++s)
      if (cluster_->alive(s)) candidates.push_back(s);
    if (candidates.empty()) continue;
    c.slot = candidates[clients_rng_.below(candidates.size())];
    const auto key = static_cast<std::uint8_t>(clients_rng_.below(kKeys));
    const bool put = clients_rng_.chance(0.6);
    // Reads carry their key in the request id's low bits (SimCluster::serve_gets).
    c.request = (next_request_++) * kKeys + key;
    c.busy = true;
    c.deadline = now + 3s;
    by_request_[c.request] = i;
    ++invoked_;
    if (put) {
      const auto value = next_value_++;
      c.op = history_.invoke(key, History::Kind::Put, value);
      cluster_->propose(c.slot, c.request, Put{key, value});
    } else {
      c.op = history_.invoke(key, History::Kind::Get, 0);
      cluster_->read(c.slot, c.request);
    }
  }
}

// Whether one more voter may go down (crash, pause, lost state) and every membership any
// live node holds (committed or not) still keeps a live majority once the faults heal.
bool Run::may_take_one_more() const {
  bool any_config = false;
  for (std::uint32_t s = 0; s < cluster_->size(); ++s) {
    const auto* core = cluster_->core(s);
    if (!core || core->membership().voters.empty()) continue;
    any_config = true;
    const auto& voters = core->membership().voters;
    std::size_t down = 0;
    for (const auto& v : voters) {
      auto slot = cluster_->slot_of(v);
      if (!slot || !cluster_->alive(*slot)) ++down;
    }
    if (down + 1 > (voters.size() - 1) / 2) return false;
  }
  if (any_config) return true;
  std::size_t down = 0;  // before genesis: the founders
  for (std::uint32_t s = 0; s < cluster_->size(); ++s) down += cluster_->alive(s) ? 0 : 1;
  return down + 1 <= (params_.nodes - 1) / 2;
}

void Run::nemesis_step() {
  // Node faults start once the group exists: before genesis they only postpone it, since
  // genesis waits for all bootstrap_expect founders (partitions still hit genesis itself).
  const bool born = [&] {
    for (std::uint32_t s = 0; s < cluster_->size(); ++s)
      if (cluster_->core(s) && !cluster_->core(s)->log().last_index().is_zero()) return true;
    return false;
  }();
  const bool may_take_one = born && may_take_one_more();
  const auto n = static_cast<std::uint32_t>(cluster_->size());
  auto pick = [&](auto pred) -> std::optional<std::uint32_t> {
    std::vector<std::uint32_t> c;
    for (std::uint32_t s = 0; s < n; ++s)
      if (pred(s)) c.push_back(s);
    if (c.empty()) return std::nullopt;
    return c[nemesis_.below(c.size())];
  };
  ++faults_;
  switch (nemesis_.below(9)) {
    case 0: cluster_->network().heal(); break;
    case 1:
      if (!params_.partitions) break;
      cluster_->network().heal();
      {  // random halves
        std::vector<char> side(n);
        for (auto& s : side) s = nemesis_.chance(0.5) ? 1 : 0;
        for (std::uint32_t a = 0; a < n; ++a)
          for (std::uint32_t b = a + 1; b < n; ++b)
            if (side[a] != side[b]) cluster_->network().cut(a, b);
      }
      break;
    case 2:
      if (!params_.partitions) break;
      cluster_->network().heal();
      {  // a bridge node sees both halves, which do not see each other
        const auto bridge = static_cast<std::uint32_t>(nemesis_.below(n));
        std::vector<char> side(n);
        for (auto& s : side) s = nemesis_.chance(0.5) ? 1 : 0;
        for (std::uint32_t a = 0; a < n; ++a)
          for (std::uint32_t b = a + 1; b < n; ++b)
            if (a != bridge && b != bridge && side[a] != side[b]) cluster_->network().cut(a, b);
      }
      break;
    case 3:
      if (!params_.partitions) break;
      if (auto l = cluster_->leader()) {  // isolate the leader
        cluster_->network().heal();
        for (std::uint32_t s = 0; s < n; ++s)
          if (s != *l) cluster_->network().cut(*l, s);
      }
      break;
    case 4:
      if (params_.crashes && may_take_one)
        if (auto s = pick([&](auto s) { return cluster_->alive(s); })) cluster_->crash(*s);
      break;
    case 5:
      if (auto s = pick([&](auto s) { return cluster_->crashed(s); })) cluster_->restart(*s);
      break;
    case 6:
      if (params_.state_loss && may_take_one && cluster_->now() - last_state_loss_ > 4s)
        if (auto s = pick([&](auto s) { return cluster_->core(s) != nullptr; })) {
          cluster_->restart_fresh(*s);
          last_state_loss_ = cluster_->now();
        }
      break;
    case 7:
      if (params_.pauses && born) {
        if (auto s = pick([&](auto s) { return cluster_->paused(s); })) {
          cluster_->resume(*s);
        } else if (may_take_one) {
          if (auto s = pick([&](auto s) { return cluster_->alive(s); })) cluster_->pause(*s);
        }
      }
      break;
    case 8:
      if (params_.churn && may_take_one && cluster_->now() - last_state_loss_ > 4s) {
        if (nemesis_.chance(0.5)) {
          if (auto s = pick([&](auto s) { return cluster_->alive(s); })) cluster_->depart(*s);
        } else if (cluster_->size() < params_.nodes + 4) {
          cluster_->join();
        }
        last_state_loss_ = cluster_->now();
      }
      break;
  }
  cluster_->refresh_bonds();
}

void Run::heal() {
  cluster_->network().heal();
  cluster_->network().faults = LinkFaults{};
  for (std::uint32_t s = 0; s < cluster_->size(); ++s) {
    if (cluster_->paused(s)) cluster_->resume(s);
    if (cluster_->crashed(s)) cluster_->restart(s);
  }
  cluster_->refresh_bonds();
}

std::string Run::describe() const {
  return fmt::format(
      "nodes={} clients={} loss={:.3f} dup={:.3f} max_delay={}ms slow={:.3f} compact_after={} partitions={} crashes={} "
      "state_loss={} pauses={} churn={}",
      params_.nodes, params_.clients, params_.link.loss, params_.link.duplicate,
      std::chrono::duration_cast<std::chrono::milliseconds>(params_.link.max_delay).count(), params_.link.slow,
      params_.compact_after,
      params_.partitions, params_.crashes, params_.state_loss, params_.pauses, params_.churn);
}

ScheduleResult Run::run() {
  ScheduleResult result;
  result.seed = seed_;
  result.nodes = params_.nodes;
  result.description = describe();
  const Time step = 5ms;
  Time next_fault = Time(500ms) + Time(static_cast<Time::rep>(nemesis_.below(500'000'000)));
  Time last_log_check{};
  // Chaos: faults while clients run, until enough operations were invoked.
  const Time chaos_limit = 600s;
  while (invoked_ < options_.min_ops && cluster_->now() < chaos_limit) {
    cluster_->advance_to(cluster_->now() + step);
    drive_clients();
    if (cluster_->now() >= next_fault) {
      nemesis_step();
      next_fault = cluster_->now() + Time(static_cast<Time::rep>(nemesis_.between(200'000'000, 1'500'000'000)));
    }
    if (cluster_->now() - last_log_check >= 200ms) {
      checker_.check_log_matching(cluster_->live_cores());
      last_log_check = cluster_->now();
    }
  }
  if (invoked_ < options_.min_ops)
    checker_.violation(fmt::format("only {} operations invoked in {}s of chaos", invoked_,
                                   std::chrono::duration_cast<std::chrono::seconds>(chaos_limit).count()));
  // Heal: everything reconnects; every pending operation must finish and a new write commit.
  chaos_ = false;
  heal();
  const Time heal_start = cluster_->now();
  const Time heal_bound = 30s;
  Time probe_retry{};
  bool settled = false;
  while (!settled && cluster_->now() - heal_start < heal_bound) {
    cluster_->advance_to(cluster_->now() + step);
    drive_clients();
    settled = settled_probe(probe_retry);
  }
  const bool probe_done = probe_committed_;
  if (!settled) {
    for (std::uint32_t s = 0; s < cluster_->size(); ++s) {
      const auto* c = cluster_->core(s);
      if (!c) continue;
      checker_.violation(fmt::format("  n{} {} role {} term {} commit {} applied {} last {} base {} voters {} learners {} paused {}",
                                     s, c->id(), static_cast<int>(c->role()), c->term(), c->commit_index(),
                                     cluster_->applied(s), c->log().last(), c->log().base(), c->membership().voters.size(),
                                     c->membership().learners.size(), cluster_->paused(s)));
    }
  }
  if (!settled)
    checker_.violation(fmt::format("liveness: {} operations pending, probe {} after {}s of healing",
                                   by_request_.size(), probe_done ? "committed" : "not committed",
                                   std::chrono::duration_cast<std::chrono::seconds>(heal_bound).count()));
  checker_.check_log_matching(cluster_->live_cores());
  const auto lin = check_linearizable(history_);
  result.violations = checker_.violations();
  if (!lin.ok) result.violations.push_back(fmt::format("linearizability: {}", lin.detail));
  if (!lin.ok && std::getenv("SIM_TRACE")) {
    for (const auto& op : history_.ops())
      fmt::print("op key={} {} value={} call={} ret={} discarded={}\n", op.key,
                 op.kind == History::Kind::Put ? "put" : "get", op.value, op.call,
                 op.ret == History::kNever ? -1 : static_cast<long long>(op.ret), op.discarded);
  }
  result.ops = invoked_;
  result.ops_ok = ok_;
  result.ops_failed = failed_;
  result.ops_unknown = unknown_;
  result.committed = checker_.committed_count();
  result.faults = faults_;
  result.sim_seconds = std::chrono::duration<double>(cluster_->now()).count();
  return result;
}

// After healing: a leader commits one more write and every live voter applies it.
bool Run::settled_probe(Time& probe_retry) {
  if (!by_request_.empty()) return false;
  auto leader = cluster_->leader();
  if (!leader) return false;
  if (!probe_committed_) {
    if (probe_request_ == 0 || cluster_->now() >= probe_retry) {
      probe_request_ = (next_request_++) * kKeys;
      probe_retry = cluster_->now() + 2s;
      cluster_->propose(*leader, probe_request_, Put{0, next_value_++});
    }
    return false;
  }
  const auto* lead = cluster_->core(*leader);
  for (const auto& v : lead->membership().voters) {
    auto s = cluster_->slot_of(v);
    if (s && cluster_->alive(*s) && cluster_->applied(*s) < lead->commit_index()) return false;
  }
  return true;
}

}  // namespace

ScheduleResult run_schedule(std::uint64_t seed, const ScheduleOptions& options) {
  Run run(seed, options);
  return run.run();
}

}  // namespace mosaik::sim
