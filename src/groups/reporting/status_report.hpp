#pragma once
// What a member tells the catalog about its group (decision 0702): the leader it follows, its
// term and its commit index, in its signed peer entry. ReportThrottle decides when (pure, on
// injected time); StatusReporter hands its decisions to discovery.
//
// A report naming a new leader (or the same leader in a new term, incarnation or voter
// count) is announced at once, then at most once per kAnnounceGap; anything else (a commit index, an election under way with
// no leader yet) is written into the entry at most once per kWriteGap and travels with the
// entry's next periodic refresh: a busy group never re-announces on each commit. A change
// held back goes out at a later offer (every pump of the worker: at the latest each
// heartbeat or election timeout).
//
//   StatusReporter reporter(discovery, group_id);
//   reporter.offer(status, env.now());   // on each status the worker publishes

#include <chrono>
#include <optional>

#include "groups/raft/types.hpp"
#include "mosaik/discovery/discovery.hpp"
#include "mosaik/groups/status.hpp"

namespace mosaik::groups::detail {

class ReportThrottle {
 public:
  static constexpr raft::Time kAnnounceGap = std::chrono::seconds(1);
  static constexpr raft::Time kWriteGap = std::chrono::seconds(1);

  enum class Action {
    kNone,      // nothing new, or held back until a gap has passed
    kWrite,     // put it in the entry; the next refresh carries it
    kAnnounce,  // put it in the entry and announce the entry now
  };

  // What to do with the member's `latest` report at `now`.
  Action offer(const discovery::GroupReport& latest, raft::Time now);

 private:
  std::optional<discovery::GroupReport> written_;    // the last one given to discovery
  std::optional<discovery::GroupReport> announced_;  // the last one announced
  raft::Time last_announce_{};
  raft::Time last_write_{};
};

class StatusReporter {
 public:
  StatusReporter(discovery::Discovery discovery, GroupId group)
      : discovery_(std::move(discovery)), group_(group) {}

  void offer(const Status& s, raft::Time now);

 private:
  discovery::Discovery discovery_;
  GroupId group_;
  ReportThrottle throttle_;
};

}  // namespace mosaik::groups::detail
