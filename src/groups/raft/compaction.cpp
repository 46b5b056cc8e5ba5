// The log compaction hook and the state-sync signal: after the state machine snapshots at
// an applied index, the prefix is dropped; a follower behind it is sent StateSync and
// resumes after the shell installs state (state_synced).
#include "core.hpp"

#include <fmt/format.h>

namespace mosaik::groups::raft {

SnapshotPoint Core::applied_point() const {
  return {Cursor{log_.term_at(applied_).value_or(Term(0)), applied_}, configs_.at(applied_)};
}

std::expected<SnapshotPoint, CompactError> Core::compact(Index up_to) {
  if (up_to > applied_)
    return std::unexpected(CompactError{fmt::format("index {} is not applied yet ({})", up_to, applied_)});
  if (up_to > log_.stable_last())
    return std::unexpected(CompactError{fmt::format("index {} is not persisted yet ({})", up_to, log_.stable_last())});
  if (up_to <= log_.base().index)
    return std::unexpected(CompactError{fmt::format("index {} is already compacted", up_to)});
  log_.compact(up_to);
  configs_.compact(up_to);
  if (unstable_from_ <= up_to) unstable_from_ = up_to.next();
  return SnapshotPoint{log_.base(), configs_.at(up_to)};
}

void Core::state_synced(const SnapshotPoint& point) {
  state_sync_requested_ = false;
  if (point.cursor.index <= commit_) return;  // replication caught us up meanwhile
  if (log_.matches(point.cursor.index, point.cursor.term) && point.cursor.index > log_.base().index) {
    // Raft's InstallSnapshot rule: entries after the point may have been acknowledged to
    // the leader and counted in a quorum; keep them.
    log_.compact(point.cursor.index);
    configs_.compact(point.cursor.index);
    if (unstable_from_ <= point.cursor.index) unstable_from_ = point.cursor.index.next();
  } else {
    log_.reset(point.cursor);
    configs_.reset(point.membership);
    // The stored log is dropped with this Ready's snapshot: whatever comes next is unstable,
    // however far the old log reached (issue 19: it moved only forward and lost entries).
    unstable_from_ = point.cursor.index.next();
  }
  commit_ = applying_ = applied_ = point.cursor.index;
  ready_.snapshot = point;
  resolve_pending_commits();
  if (leader_ && role_ == Role::Follower) {
    auto r = make(MessageType::AppendResponse, *leader_);
    r.index = point.cursor.index;
    send(std::move(r));
  }
}

}  // namespace mosaik::groups::raft
