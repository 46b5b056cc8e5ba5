#pragma once
// GroupMetrics: one member's figures for the node's Prometheus endpoint (decision 0702): the
// term and commit index it knows, whether it leads, its bonds, the leaders it came to follow,
// the elections it started, how long its execute() calls waited for their commit, and the
// replay batches it served and fetched (0412).
// Written on the node's executor (GroupWorker), read from any thread (a scrape): relaxed
// atomics, like the transport's TrafficCounters; nothing runs between scrapes.
//
//   metrics.role_changed(*ready.role_change);  metrics.status(s);  metrics.committed_after(waited);
//   GroupMetricsSnapshot m = metrics.snapshot();   // any thread

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

#include "groups/raft/core.hpp"
#include "mosaik/groups/status.hpp"

namespace mosaik::groups::detail {

// Upper bounds of the commit latency histogram's buckets, in seconds (a last, +Inf bucket
// follows): from a loopback commit (well under a millisecond) to a forward that times out.
inline constexpr std::array<double, 15> kCommitLatencyBoundsSeconds = {
    0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};

struct GroupMetricsSnapshot {
  std::uint64_t term = 0;
  std::uint64_t commit_index = 0;
  std::uint64_t bonds = 0;
  bool is_leader = false;
  std::uint64_t leader_changes = 0;  // a leader other than the last one followed (the first counts)
  std::uint64_t elections = 0;       // elections this member started (terms it campaigned in)
  // Commits per latency bucket (not cumulative); the last one is past every bound.
  std::array<std::uint64_t, kCommitLatencyBoundsSeconds.size() + 1> commit_latency_counts{};
  double commit_latency_sum_seconds = 0;
  std::uint64_t replay_batches_served = 0;   // committed-entry batches served to members replaying (0412)
  std::uint64_t replay_batches_fetched = 0;  // such batches this member fetched and took
};

class GroupMetrics {
 public:
  // ---- on the node's executor
  void role_changed(const raft::RoleChange& change);
  void status(const Status& s);
  // An execute() whose commands committed after `waited`.
  void committed_after(std::chrono::nanoseconds waited);
  void replay_batch_served() { replay_served_.fetch_add(1, kRelaxed); }
  void replay_batch_fetched() { replay_fetched_.fetch_add(1, kRelaxed); }

  // ---- any thread
  [[nodiscard]] GroupMetricsSnapshot snapshot() const;

 private:
  static constexpr auto kRelaxed = std::memory_order_relaxed;

  std::optional<raft::NodeId> followed_;  // executor only: the last leader known
  std::optional<Term> campaigned_;        // executor only: the last term this member campaigned in
  std::atomic<std::uint64_t> term_{0}, commit_index_{0}, bonds_{0};
  std::atomic<bool> is_leader_{false};
  std::atomic<std::uint64_t> leader_changes_{0}, elections_{0}, replay_served_{0}, replay_fetched_{0};
  std::array<std::atomic<std::uint64_t>, kCommitLatencyBoundsSeconds.size() + 1> latency_counts_{};
  std::atomic<std::uint64_t> latency_sum_ns_{0};
};

}  // namespace mosaik::groups::detail
