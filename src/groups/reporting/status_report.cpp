#include "status_report.hpp"

namespace mosaik::groups::detail {

ReportThrottle::Action ReportThrottle::offer(const discovery::GroupReport& latest, raft::Time now) {
  if (written_ == latest) return Action::kNone;
  const bool leadership_changed =
      !announced_ || announced_->leader != latest.leader || announced_->term != latest.term;
  if (leadership_changed) {
    if (announced_ && now - last_announce_ < kAnnounceGap) return Action::kNone;
    announced_ = written_ = latest;
    last_announce_ = last_write_ = now;
    return Action::kAnnounce;
  }
  if (now - last_write_ < kWriteGap) return Action::kNone;
  written_ = latest;
  last_write_ = now;
  return Action::kWrite;
}

void StatusReporter::offer(const Status& s, raft::Time now) {
  const discovery::GroupReport report{s.leader, s.term.value, s.committed.value};
  const auto action = throttle_.offer(report, now);
  if (action == ReportThrottle::Action::kNone) return;
  discovery_.report_group(group_, report, action == ReportThrottle::Action::kAnnounce);
}

}  // namespace mosaik::groups::detail
