#include "group_metrics.hpp"

#include <algorithm>

namespace mosaik::groups::detail {

void GroupMetrics::role_changed(const raft::RoleChange& change) {
  // A member that leads in a term campaigned in it (the core may pass through Candidate and
  // on to Leader within one Ready, as a lone founder does): one election per such term.
  const bool campaigning = change.role == raft::Role::Candidate || change.role == raft::Role::Leader;
  if (campaigning && campaigned_ != change.term) {
    campaigned_ = change.term;
    elections_.fetch_add(1, kRelaxed);
  }
  if (change.leader && change.leader != followed_) {
    followed_ = change.leader;
    leader_changes_.fetch_add(1, kRelaxed);
  }
}

void GroupMetrics::status(const Status& s) {
  term_.store(s.term.value, kRelaxed);
  commit_index_.store(s.committed.value, kRelaxed);
  bonds_.store(s.bonds, kRelaxed);
  is_leader_.store(s.is_leader, kRelaxed);
}

void GroupMetrics::committed_after(std::chrono::nanoseconds waited) {
  const double seconds = std::chrono::duration<double>(waited).count();
  const auto bucket = std::lower_bound(kCommitLatencyBoundsSeconds.begin(), kCommitLatencyBoundsSeconds.end(),
                                       seconds) -
                      kCommitLatencyBoundsSeconds.begin();
  latency_counts_[static_cast<std::size_t>(bucket)].fetch_add(1, kRelaxed);
  latency_sum_ns_.fetch_add(static_cast<std::uint64_t>(std::max<std::int64_t>(0, waited.count())), kRelaxed);
}

GroupMetricsSnapshot GroupMetrics::snapshot() const {
  GroupMetricsSnapshot s;
  s.term = term_.load(kRelaxed);
  s.commit_index = commit_index_.load(kRelaxed);
  s.bonds = bonds_.load(kRelaxed);
  s.is_leader = is_leader_.load(kRelaxed);
  s.leader_changes = leader_changes_.load(kRelaxed);
  s.elections = elections_.load(kRelaxed);
  s.replay_batches_served = replay_served_.load(kRelaxed);
  s.replay_batches_fetched = replay_fetched_.load(kRelaxed);
  for (std::size_t i = 0; i < latency_counts_.size(); ++i) s.commit_latency_counts[i] = latency_counts_[i].load(kRelaxed);
  s.commit_latency_sum_seconds = static_cast<double>(latency_sum_ns_.load(kRelaxed)) / 1e9;
  return s;
}

}  // namespace mosaik::groups::detail
