// The workload: clients invoking Put/Get on random live nodes and recording the history.
#include <cstdlib>

#include "run.hpp"

namespace mosaik::sim::detail {

using namespace std::chrono_literals;

using groups::raft::FailReason;

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
    if (c.scripted || c.busy || now < c.next_at || !chaos_ || invoked_ >= options_.min_ops) continue;
    if (c.pinned) {
      if (!cluster_->alive(*c.pinned)) continue;
      c.slot = *c.pinned;
    } else {
      std::vector<std::uint32_t> candidates;
      for (std::uint32_t s = 0; s < cluster_->size(); ++s)
        if (cluster_->alive(s)) candidates.push_back(s);
      if (candidates.empty()) continue;
      c.slot = candidates[clients_rng_.below(candidates.size())];
    }
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

// A write the script places on `slot` (recorded in the history like any client's).
void Run::script_put(std::uint32_t slot) {
  Client& c = clients_.back();
  if (c.busy || !cluster_->alive(slot)) return;
  c.slot = slot;
  c.request = (next_request_++) * kKeys + 1;
  c.busy = true;
  c.deadline = cluster_->now() + 3s;
  by_request_[c.request] = clients_.size() - 1;
  ++invoked_;
  const auto value = next_value_++;
  c.op = history_.invoke(1, History::Kind::Put, value);
  cluster_->propose(slot, c.request, Put{1, value});
}

// Whether one more voter may go down (crash, pause, lost state) and every membership any
// live node holds (committed or not) still keeps a live majority once the faults heal.
}  // namespace mosaik::sim::detail
