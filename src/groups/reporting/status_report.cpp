#include "status_report.hpp"

namespace mosaik::groups::detail {

ReportThrottle::Action ReportThrottle::offer(const discovery::GroupReport& latest, raft::Time now) {
  if (written_ == latest) return Action::kNone;
  // Only a report that names a leader is worth gossiping at once: the steps of an election
  // (leader lost, a new term, no leader yet) are written and ride the next refresh. So is a
  // new incarnation or voter count under a leader: members of a rival incarnation decide on
  // them which side yields (decision 0407).
  const bool new_leader = latest.leader.has_value() &&
                          (!announced_ || announced_->leader != latest.leader || announced_->term != latest.term ||
                           announced_->incarnation != latest.incarnation || announced_->voters != latest.voters);
  if (new_leader) {
    if (announced_ && now - last_announce_ < kAnnounceGap) return Action::kNone;
    announced_ = written_ = latest;
    last_announce_ = last_write_ = now;
    return Action::kAnnounce;
  }
  if (written_ && now - last_write_ < kWriteGap) return Action::kNone;
  written_ = latest;
  last_write_ = now;
  return Action::kWrite;
}

void StatusReporter::offer(const Status& s, raft::Time now) {
  const discovery::GroupReport report{s.leader, s.term.value, s.committed.value, s.incarnation, s.voters};
  const auto action = throttle_.offer(report, now);
  if (action == ReportThrottle::Action::kNone) return;
  discovery_.report_group(group_, report, action == ReportThrottle::Action::kAnnounce);
}

}  // namespace mosaik::groups::detail
