#include "cluster.hpp"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "groups/raft/membership_codec.hpp"

namespace mosaik::sim {

using groups::raft::Ready;
using groups::raft::Role;

SimCluster::SimCluster(std::uint64_t seed, ClusterConfig config, std::size_t nodes, SafetyChecker& checker,
                       ClusterHooks hooks)
    : seed_(seed),
      config_(std::move(config)),
      network_(derive_seed(seed, Stream::Network)),
      checker_(checker),
      hooks_(std::move(hooks)),
      disk_rng_(derive_seed(seed, Stream::Disk)),
      sync_rng_(derive_seed(seed, Stream::SyncDelays)) {
  nodes_.resize(nodes);
  for (std::uint32_t s = 0; s < nodes; ++s) start(s);
  refresh_bonds();
}

NodeId SimCluster::make_id(std::uint32_t slot, std::uint32_t generation) const {
  return NodeId::from_u64((std::uint64_t{slot} << 20) | generation);
}

void SimCluster::start(std::uint32_t slot) {
  Node& n = nodes_[slot];
  if (n.disk.recover()) ++torn_records_;  // the core reads what survived, verified
  n.epoch += 1;
  n.id = make_id(slot, n.generation);
  slot_by_id_[n.id] = slot;
  groups::raft::CoreOptions o;
  o.id = n.id;
  o.config = config_.consensus;
  auto rng = std::make_shared<SimRng>(derive_seed(seed_, Stream::NodeBase + slot * 1000 + n.generation));
  o.random = [rng] { return rng->next(); };
  o.max_entries_per_append = config_.max_entries_per_append;
  o.max_inflight_appends = config_.max_inflight_appends;
  o.replay_after = config_.replay_after;
  o.replay_timeout = config_.consensus.election_timeout;
  o.planted_bug = config_.planted;
  o.may_found = n.may_found;
  n.started_at = now_;
  n.clock_rate = 1.0;
  n.reboot_at.reset();
  n.unreported_persist.reset();
  n.unreported_apply.reset();
  n.contact = {};
  n.watch = {n.disk.log.hard_state().term, n.disk.log.base().cursor.index};
  n.core_now = local_now(n);
  n.core = std::make_unique<Core>(std::move(o), n.disk.log, n.core_now);
  n.kv = n.disk.base_state;
  n.applied = n.disk.log.base().cursor.index;
  n.gets.clear();
  n.bonded.clear();
  n.sync_wanted.reset();
  n.replay_wanted.reset();
  n.paused = false;
  // Desynchronise ticks across nodes.
  n.next_tick = now_ + Time(static_cast<Time::rep>(rng->below(static_cast<std::uint64_t>(config_.tick_interval.count()))));
  if (config_.clock_drift > 0) n.clock_rate = 1.0 + config_.clock_drift * (2 * rng->unit() - 1);
}

Time SimCluster::local_now(const Node& n) const {
  const auto since = static_cast<double>((now_ - n.started_at).count());
  return n.started_at + Time(static_cast<Time::rep>(since * n.clock_rate));
}

void SimCluster::count_step() {
  if (++steps_ > config_.max_steps && config_.max_steps != 0)
    throw StepBudgetExceeded(fmt::format("step budget: {} deliveries and ticks by {}ms of simulated time",
                                         config_.max_steps,
                                         std::chrono::duration_cast<std::chrono::milliseconds>(now_).count()));
}

void SimCluster::stop(std::uint32_t slot) {
  Node& n = nodes_[slot];
  n.core.reset();
  lose_unsynced(slot);
  n.gets.clear();
  n.held.clear();
  n.paused = false;
  n.sync_wanted.reset();
  n.replay_wanted.reset();
  if (hooks_.on_crash) hooks_.on_crash(slot);
}

void SimCluster::refresh_bonds() {
  for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
    Node& n = nodes_[i];
    if (!n.core) continue;
    std::set<NodeId> want;
    for (std::uint32_t j = 0; j < nodes_.size(); ++j) {
      if (j == i) continue;
      const Node& m = nodes_[j];
      if (m.core && !m.paused && !n.paused && network_.connected(i, j)) want.insert(m.id);
    }
    for (const auto& id : n.bonded)
      if (!want.contains(id)) n.core->bond_down(id);
    for (const auto& id : want)
      if (!n.bonded.contains(id)) n.core->bond_up(id);
    n.bonded = std::move(want);
  }
}

std::optional<std::uint32_t> SimCluster::slot_of(const NodeId& id) const {
  auto it = slot_by_id_.find(id);
  if (it == slot_by_id_.end()) return std::nullopt;
  return it->second;
}

void SimCluster::advance_to(Time t) {
  for (std::uint64_t guard = 0; guard < 100'000'000; ++guard) {
    Time next = t;
    if (auto due = network_.next_due(); due && *due < next) next = *due;
    for (const auto& n : nodes_) {
      if (n.core && !n.paused && n.next_tick < next) next = n.next_tick;
      if (auto due = n.disk.next_due(); due && n.core && !n.paused && *due < next) next = *due;
      if (n.reboot_at && *n.reboot_at < next) next = *n.reboot_at;
    }
    if (next > t) break;
    now_ = std::max(now_, next);
    while (auto d = network_.pop_due(now_)) {
      count_step();
      deliver(std::move(*d));
    }
    for (std::uint32_t s = 0; s < nodes_.size(); ++s) {
      Node& n = nodes_[s];
      if (n.reboot_at && *n.reboot_at <= now_ && !n.core && !n.departed) restart(s);
      if (n.core && !n.paused) sync_due(s);
      if (!n.core || n.paused || n.next_tick > now_) continue;
      count_step();
      n.next_tick = now_ + config_.tick_interval;
      n.core_now = local_now(n);
      if (n.unreported_persist || n.unreported_apply) {
        // What the acknowledgements let the core do (commit, compact) is its own Ready,
        // judged against the membership before the tick changes it.
        report_acks(n);
        drain(s);
        if (!n.core) continue;
      }
      n.core->tick(n.core_now);
      if (n.sync_wanted) try_state_sync(s);
      if (n.replay_wanted && n.core) replay_batch(s);
      drain(s);
    }
    if (next == t) break;
  }
  now_ = std::max(now_, t);
}

void SimCluster::deliver(Delivery d) {
  if (d.to >= nodes_.size()) return;
  Node& n = nodes_[d.to];
  if (!n.core) return;
  if (n.id != d.message.to) return;  // sent to a member this slot no longer is
  if (n.epoch != d.to_epoch && !config_.stale_to_restarted) return;  // sent to a previous life
  if (n.paused) {
    if (n.held.size() < 10'000) n.held.push_back(std::move(d));
    return;
  }
  static const bool trace_messages = std::getenv("SIM_TRACE_MESSAGES") != nullptr;
  if (trace_messages) {
    const auto& m = d.message;
    fmt::print("{} n{}<-n{} type {} term {} index {} log_term {} commit {} hint {} reject {} req {} entries {}\n",
               std::chrono::duration_cast<std::chrono::milliseconds>(now_).count(), d.to, d.from, m.type, m.term,
               m.index, m.log_term, m.commit, m.hint, m.reject, m.request, m.entries.size());
  }
  const auto type = d.message.message_type();
  const auto from = d.message.from;
  const auto term = d.message.term;
  const auto before = n.core->hard_state();
  n.core->step(std::move(d.message));
  if (type == groups::raft::MessageType::PreVote) check_pre_vote_kept_state(d.to, before);
  note_leader_contact(d.to, type, from, term);
  drain(d.to);
}

void SimCluster::drain(std::uint32_t slot) {
  for (int rounds = 0; rounds < 64; ++rounds) {
    Node& n = nodes_[slot];
    if (!n.core || !n.core->has_ready()) return;
    Ready r = n.core->take_ready();
    check_pre_vote_grants(slot, r.messages);
    if (config_.crash_before_send > 0 && disk_rng_.chance(config_.crash_before_send)) {
      crash_before_send(slot, r);
      return;
    }
    if (std::getenv("SIM_TRACE")) trace_memberships(slot, r);
    const bool has_writes = r.snapshot || r.hard_state || !r.entries.empty();
    if (config_.max_sync_delay == Time{} || (!has_writes && !n.disk.has_unsynced())) {
      write_and_send(slot, r);
    } else {  // the writer syncs it later; its messages wait for it and every earlier write
      const auto delay = has_writes ? sync_rng_.below(static_cast<std::uint64_t>(config_.max_sync_delay.count()) + 1) : 0;
      Ready writes;
      writes.snapshot = r.snapshot;
      writes.hard_state = std::move(r.hard_state);
      writes.entries = std::move(r.entries);
      writes.messages = std::move(r.messages);
      if (config_.early_appends) send_appends_now(slot, writes.messages);
      n.disk.hand_out({std::move(writes), n.kv, now_ + Time(static_cast<Time::rep>(delay))});
    }
    check_commit(slot);
    static const bool trace = std::getenv("SIM_TRACE") != nullptr;
    if (trace) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now_).count();
      if (r.role_change)
        fmt::print("{} n{} role {} term {} leader {}\n", ms, slot, static_cast<int>(r.role_change->role),
                   r.role_change->term, r.role_change->leader ? fmt::format("{}", *r.role_change->leader) : "-");
      for (const auto& e : r.committed)
        if (auto p = decode_put(e.data))
          fmt::print("{} n{} apply {}@{} key {} value {}\n", ms, slot, e.index, e.term, p->key, p->value);
      for (const auto& p : r.proposals)
        fmt::print("{} n{} proposal {} kind {} range {}-{} term {} reason {}\n", ms, slot, p.request,
                   static_cast<int>(p.kind), p.range.first, p.range.last, p.term, static_cast<int>(p.reason));
      for (const auto& rd : r.reads)
        fmt::print("{} n{} read {} ok {} index {} applied {} commit {}\n", ms, slot, rd.request, rd.ok, rd.index,
                   n.applied, n.core->commit_index());
      if (r.snapshot) fmt::print("{} n{} snapshot {}\n", ms, slot, r.snapshot->cursor);
    }
    for (const auto& e : r.committed) {
      checker_.on_apply(slot, e, n.applied.next(), n.core->term(), n.core->incarnation());
      n.kv.apply(e);
      n.applied = e.index;
    }
    if (!r.committed.empty()) {
      n.unreported_apply = n.applied;
      if (!config_.lagged_acks) report_acks(n);
    }
    if (r.role_change && r.role_change->role == Role::Leader) checker_.on_leader(n.id, *n.core);
    for (const auto& p : r.proposals)
      if (hooks_.on_proposal) hooks_.on_proposal(slot, p);
    for (const auto& rd : r.reads) {
      if (!rd.ok) {
        if (hooks_.on_read_failed) hooks_.on_read_failed(slot, rd.request);
      } else {
        n.gets.push_back({rd.request, rd.index});
      }
    }
    if (r.state_sync) n.sync_wanted = r.state_sync;
    if (r.replay) n.replay_wanted = r.replay;
    if (!nodes_[slot].core) return;  // a hook may not stop nodes, but stay safe
    serve_gets(slot);
    maybe_compact(nodes_[slot]);
    if (nodes_[slot].sync_wanted) try_state_sync(slot);
  }
}

// Membership entries as they reach the disk (before persist moves them there).
void SimCluster::trace_memberships(std::uint32_t slot, const Ready& r) const {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now_).count();
  for (const auto& e : r.entries)
    if (e.entry_kind() == groups::raft::EntryKind::Membership)
      if (auto m = groups::raft::decode_membership(e.data))
        fmt::print("{} n{} membership {}@{} voters {} learners {}\n", ms, slot, e.index, e.term,
                   fmt::join(m->voters, ","), fmt::join(m->learners, ","));
}

void SimCluster::serve_gets(std::uint32_t slot) {
  Node& n = nodes_[slot];
  for (std::size_t i = 0; i < n.gets.size();) {
    if (n.gets[i].index <= n.applied) {
      const auto g = n.gets[i];
      n.gets.erase(n.gets.begin() + static_cast<std::ptrdiff_t>(i));
      // The key travels in the request id's low bits (see schedule.cpp).
      if (std::getenv("SIM_TRACE"))
        fmt::print("{} n{} serve read {} at applied {} value {}\n",
                   std::chrono::duration_cast<std::chrono::milliseconds>(now_).count(), slot, g.request, n.applied,
                   n.kv.values[g.request % kKeys]);
      if (hooks_.on_read) hooks_.on_read(slot, g.request, n.kv.values[g.request % kKeys]);
    } else {
      ++i;
    }
  }
}

void SimCluster::maybe_compact(Node& n) {
  if (config_.compact_after == 0 || !n.core) return;
  if (n.applied.value < n.core->log().base().index.value + config_.compact_after) return;
  auto point = n.core->compact(n.applied);
  if (!point) return;
  n.disk.log.compact(*point);
  n.disk.base_state = n.kv;
}

void SimCluster::try_state_sync(std::uint32_t slot) {
  Node& n = nodes_[slot];
  const auto want = *n.sync_wanted;
  if (want.point.cursor.index <= n.core->commit_index()) {
    n.sync_wanted.reset();
  n.replay_wanted.reset();
    return;
  }
  // Prefer the leader that asked; any live member of the same group that applied far enough will do.
  std::optional<std::uint32_t> source;
  if (auto s = slot_of(want.leader); s && alive(*s) && nodes_[*s].applied >= want.point.cursor.index) source = s;
  for (std::uint32_t s = 0; !source && s < nodes_.size(); ++s) {
    if (s != slot && alive(s) && nodes_[s].core->incarnation() == n.core->incarnation() &&
        nodes_[s].applied >= want.point.cursor.index && network_.connected(s, slot))
      source = s;
  }
  if (!source) return;  // retried on the next tick
  report_acks(nodes_[*source]);  // its state is what it applied: the point must say so
  const auto point = nodes_[*source].core->applied_point();
  n.sync_wanted.reset();
  n.replay_wanted.reset();
  n.kv = nodes_[*source].kv;
  n.applied = point.cursor.index;
  n.core->state_synced(point);
  drain(slot);
}

// One batch per tick from the next member in turn that is up, reachable and of our
// incarnation, as the shell's fetch spreads batches over its sources (0412). A refused or
// unservable batch ends the fetch as failed: the leader then sends the entries.
void SimCluster::replay_batch(std::uint32_t slot) {
  Node& n = nodes_[slot];
  const auto want = *n.replay_wanted;
  const Index from = n.core->commit_index().next();
  std::optional<groups::raft::CommittedRun> run;
  for (std::uint32_t tried = 0; !run && tried < nodes_.size(); ++tried) {
    const std::uint32_t s = n.replay_source++ % static_cast<std::uint32_t>(nodes_.size());
    if (s == slot || !alive(s) || !network_.connected(s, slot))
      continue;
    run = nodes_[s].core->committed_run(n.core->incarnation(), from, std::max<std::size_t>(config_.replay_after / 2, 1), SIZE_MAX);
  }
  bool done = !run;
  bool fetched = false;
  if (run) {
    auto took = n.core->accept_committed(*run);
    if (took) ++replayed_batches_;
    fetched = took.has_value() && *took >= want.target;
    done = !took || fetched;
  }
  if (done) {
    n.replay_wanted.reset();
    n.core->replay_done(fetched);
  }
  drain(slot);
}

std::optional<std::uint32_t> SimCluster::leader() const {
  std::optional<std::uint32_t> best;
  for (std::uint32_t s = 0; s < nodes_.size(); ++s) {
    if (!alive(s) || nodes_[s].core->role() != Role::Leader) continue;
    if (!best || nodes_[s].core->term() > nodes_[*best].core->term()) best = s;
  }
  return best;
}

std::vector<const Core*> SimCluster::live_cores() const {
  std::vector<const Core*> out;
  for (const auto& n : nodes_)
    if (n.core) out.push_back(n.core.get());
  return out;
}

void SimCluster::propose(std::uint32_t slot, std::uint64_t request, Put put) {
  if (!alive(slot)) return;
  nodes_[slot].core->propose(request, {encode_put(put)});
  drain(slot);
}

void SimCluster::read(std::uint32_t slot, std::uint64_t request) {
  if (!alive(slot)) return;
  nodes_[slot].core->read(request);
  drain(slot);
}

// A leader's appends leave before its own write is synced (etcd's leader, the Raft thesis
// §10.2.1): safe because its own copy counts toward a commit only once persisted() says so,
// and its term was durable before its vote requests left. Everything else waits for the sync.
void SimCluster::send_appends_now(std::uint32_t slot, std::vector<groups::raft::Message>& messages) {
  std::vector<groups::raft::Message> now;
  std::erase_if(messages, [&](groups::raft::Message& m) {
    if (m.message_type() != groups::raft::MessageType::Append) return false;
    now.push_back(std::move(m));
    return true;
  });
  send(slot, now);
}

}  // namespace mosaik::sim
