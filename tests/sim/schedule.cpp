#include "schedule.hpp"

#include <cstdlib>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "run.hpp"

namespace mosaik::sim {
namespace detail {

using namespace std::chrono_literals;

namespace {
std::int64_t ms(Time t) { return std::chrono::duration_cast<std::chrono::milliseconds>(t).count(); }
constexpr const char* kScriptNames[] = {"random", "figure8", "pinned_old_leader", "membership_in_partition"};
}  // namespace

std::string Run::describe() const {
  const auto& t = params_.tuning;
  const auto& h = params_.harsh;
  return fmt::format(
      "nodes={} clients={} loss={:.3f} dup={:.3f} max_delay={}ms slow={:.3f} compact_after={} partitions={} crashes={} "
      "state_loss={} pauses={} churn={} | {} max_entries_per_append={} inflight={} heartbeat={}ms election={}ms+{}ms "
      "forward={}ms drift={} crash_before_send={} stale_to_restarted={} one_way={} lagged_acks={} sync_delay={}ms early_appends={} replay_after={} script={}",
      params_.nodes, params_.clients, params_.link.loss, params_.link.duplicate, ms(params_.link.max_delay),
      params_.link.slow, params_.compact_after, params_.partitions, params_.crashes, params_.state_loss, params_.pauses,
      params_.churn, params_.classic ? "classic" : "drawn", t.max_entries_per_append, t.max_inflight_appends,
      ms(t.heartbeat), ms(t.election), ms(t.election_jitter), ms(t.forward), t.clock_drift, h.crash_before_send,
      h.stale_to_restarted, h.one_way, h.lagged_acks, ms(h.max_sync_delay), h.early_appends, params_.replay_after,
      kScriptNames[static_cast<int>(params_.script)]);
}

void Run::phases() {
  const Time step = 5ms;
  Time next_fault = Time(500ms) + Time(static_cast<Time::rep>(nemesis_.below(500'000'000)));
  Time last_log_check{};
  // Chaos: faults while clients run, until enough operations were invoked.
  const Time chaos_limit = 600s;
  while ((invoked_ < options_.min_ops || !script_done()) && cluster_->now() < chaos_limit) {
    cluster_->advance_to(cluster_->now() + step);
    drive_clients();
    if (params_.script != Script::None) {
      script_step();
      cluster_->refresh_bonds();
    } else if (cluster_->now() >= next_fault) {
      nemesis_step();
      next_fault = cluster_->now() + Time(static_cast<Time::rep>(nemesis_.between(200'000'000, 1'500'000'000)));
    }
    if (cluster_->now() - last_log_check >= 200ms) {
      checker_.check_log_matching(cluster_->live_cores());
      cluster_->check_disks_fully();
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
      if (std::getenv("SIM_TRACE"))
        fmt::print("n{} {} term {} vote {} last {} voters {} learners {}\n", s, c->id(), c->term(),
                   c->hard_state().vote ? fmt::format("{}", *c->hard_state().vote) : "-", c->log().last(),
                   fmt::join(c->membership().voters, ","), fmt::join(c->membership().learners, ","));
    }
  }
  if (!settled)
    checker_.violation(fmt::format("liveness: {} operations pending, probe {} after {}s of healing",
                                   by_request_.size(), probe_done ? "committed" : "not committed",
                                   std::chrono::duration_cast<std::chrono::seconds>(heal_bound).count()));
  checker_.check_log_matching(cluster_->live_cores());
  cluster_->check_disks_fully();
}

ScheduleResult Run::run() {
  ScheduleResult result;
  result.seed = seed_;
  result.nodes = params_.nodes;
  result.description = describe();
  try {
    phases();
  } catch (const std::exception& e) {  // a broken invariant in a core, or the step budget
    checker_.violation(fmt::format("exception: {}", e.what()));
  }
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
  result.faults = faults_ + cluster_->torn_crashes();
  result.replayed_batches = cluster_->replayed_batches();
  result.elections = checker_.leaders_elected();
  result.max_term = checker_.max_leader_term();
  for (const auto* c : cluster_->live_cores()) result.max_term = std::max(result.max_term, c->term().value);
  result.steps = cluster_->steps();
  if (result.elections > options_.budget.max_elections)
    result.violations.push_back(fmt::format("liveness budget: {} elections (budget {})", result.elections,
                                            options_.budget.max_elections));
  if (result.max_term > options_.budget.max_term)
    result.violations.push_back(
        fmt::format("liveness budget: term {} reached (budget {})", result.max_term, options_.budget.max_term));
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

}  // namespace detail

ScheduleResult run_schedule(std::uint64_t seed, const ScheduleOptions& options) {
  // A broken invariant inside a core (or the step budget) throws: report it with the seed
  // rather than lose the seed to a crashed test binary.
  std::string description = "(while setting up)";
  try {
    detail::Run run(seed, options);
    description = run.description();
    return run.run();
  } catch (const std::exception& e) {
    ScheduleResult r;
    r.seed = seed;
    r.description = description;
    r.violations.push_back(fmt::format("exception: {}", e.what()));
    return r;
  }
}

}  // namespace mosaik::sim
