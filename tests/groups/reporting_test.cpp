// What a member reports (src/groups/reporting, decision 0702): when its status reaches the
// catalog (ReportThrottle, on injected time) and what its metrics count (GroupMetrics).
#include <gtest/gtest.h>

#include "groups/reporting/group_metrics.hpp"
#include "groups/reporting/status_report.hpp"

namespace mosaik::groups::detail {
namespace reporting_test {
namespace {

using namespace std::chrono_literals;
using Action = ReportThrottle::Action;
using discovery::GroupReport;

const PeerId kA = SecretKey::from_seed("a").public_key();
const PeerId kB = SecretKey::from_seed("b").public_key();

TEST(ReportThrottle, a_report_without_a_leader_is_written_and_a_new_leader_announced_at_once) {
  ReportThrottle t;
  EXPECT_EQ(t.offer(GroupReport{std::nullopt, 0, 0}, 0s), Action::kWrite);
  EXPECT_EQ(t.offer(GroupReport{kA, 1, 0}, 500ms), Action::kAnnounce);  // elected soon after joining
  EXPECT_EQ(t.offer(GroupReport{kA, 1, 0}, 3s), Action::kNone);  // nothing new
  EXPECT_EQ(t.offer(GroupReport{kB, 2, 0}, 4s), Action::kAnnounce);
}

TEST(ReportThrottle, leadership_changes_within_the_gap_are_held_and_the_latest_goes_out_after_it) {
  ReportThrottle t;
  EXPECT_EQ(t.offer(GroupReport{kA, 1, 0}, 10s), Action::kAnnounce);
  EXPECT_EQ(t.offer(GroupReport{std::nullopt, 2, 0}, 10s + 100ms), Action::kNone);  // within kWriteGap
  EXPECT_EQ(t.offer(GroupReport{kB, 2, 0}, 10s + 500ms), Action::kNone);
  EXPECT_EQ(t.offer(GroupReport{kB, 2, 0}, 10s + ReportThrottle::kAnnounceGap), Action::kAnnounce);
  EXPECT_EQ(t.offer(GroupReport{std::nullopt, 3, 0}, 12s), Action::kWrite);  // leader lost: no gossip
}

// Members of a rival incarnation decide on the voter count which side yields (decision
// 0407): a promotion must reach them with the next gossip, not a refresh 15 s later.
TEST(ReportThrottle, a_new_voter_count_or_incarnation_under_a_leader_is_announced) {
  ReportThrottle t;
  EXPECT_EQ(t.offer(GroupReport{kA, 1, 5, 7, 2}, 0s), Action::kAnnounce);
  EXPECT_EQ(t.offer(GroupReport{kA, 1, 9, 7, 3}, 2s), Action::kAnnounce);  // a learner promoted
  EXPECT_EQ(t.offer(GroupReport{kA, 1, 9, 8, 3}, 4s), Action::kAnnounce);  // rejoined another incarnation
  EXPECT_EQ(t.offer(GroupReport{kA, 1, 12, 8, 3}, 6s), Action::kWrite);    // only the commit index moved
}

TEST(ReportThrottle, a_busy_group_writes_its_commit_index_at_most_once_per_gap_and_never_announces_it) {
  ReportThrottle t;
  ASSERT_EQ(t.offer(GroupReport{kA, 1, 0}, 0s), Action::kAnnounce);
  std::size_t writes = 0;
  for (std::uint64_t commit = 1; commit <= 10'000; ++commit) {  // one commit every millisecond
    const auto action = t.offer(GroupReport{kA, 1, commit}, std::chrono::milliseconds(commit));
    EXPECT_NE(action, Action::kAnnounce);
    writes += action == Action::kWrite ? 1 : 0;
  }
  EXPECT_EQ(writes, 10u);  // 10 s of commits, one write per second
}

raft::NodeId member(std::string_view name) { return Digest(name); }

TEST(GroupMetrics, elections_count_the_terms_a_member_campaigned_in_and_leader_changes_each_new_leader) {
  GroupMetrics m;
  m.role_changed({raft::Role::PreCandidate, Term(0), std::nullopt});
  m.role_changed({raft::Role::Candidate, Term(1), std::nullopt});
  m.role_changed({raft::Role::Leader, Term(1), member("self")});  // the same election, won
  m.role_changed({raft::Role::Follower, Term(2), std::nullopt});
  m.role_changed({raft::Role::Follower, Term(2), member("other")});
  m.role_changed({raft::Role::Leader, Term(3), member("self")});  // a lone founder: straight to leader
  const auto s = m.snapshot();
  EXPECT_EQ(s.elections, 2u);
  EXPECT_EQ(s.leader_changes, 3u);
}

TEST(GroupMetrics, commit_latencies_fall_into_the_first_bucket_that_holds_them) {
  GroupMetrics m;
  m.committed_after(100us);   // <= 0.00025
  m.committed_after(1ms);     // <= 0.001, on the bound
  m.committed_after(3ms);     // <= 0.005
  m.committed_after(60s);     // past every bound
  const auto s = m.snapshot();
  EXPECT_EQ(s.commit_latency_counts[0], 1u);
  EXPECT_EQ(s.commit_latency_counts[2], 1u);
  EXPECT_EQ(s.commit_latency_counts[4], 1u);
  EXPECT_EQ(s.commit_latency_counts.back(), 1u);
  EXPECT_NEAR(s.commit_latency_sum_seconds, 60.0041, 1e-9);
}

}  // namespace
}  // namespace reporting_test
}  // namespace mosaik::groups::detail
