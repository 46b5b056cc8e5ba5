// Catch-up from the members (docs/decisions/0412): a follower far behind the commit is told
// to fetch the committed entries from the members instead of being sent them by the leader;
// any member serves what it committed, the follower takes a run only when it links to its
// own log, and reports its commit back so the leader sends only what is left.
#include <fmt/format.h>

#include "core.hpp"

namespace mosaik::groups::raft {

// Only once the follower's position is known (Replicate) and only while more than
// replay_after committed entries lie beyond what was sent to it.
bool Core::replay_wanted(const Progress& pr) const {
  return options_.replay_after > 0 && !pr.replay_declined &&
         commit_.value > pr.next.prev().value + options_.replay_after;
}

void Core::send_replay(const NodeId& to, Progress& pr) {
  auto m = make(MessageType::Replay, to);
  m.commit = commit_;
  pr.become_replay(now_ + options_.replay_timeout);
  send(std::move(m));
}

void Core::handle_replay(const Message& m) {
  follow_sender(m);
  if (replay_requested_) return;  // the fetch under way reports when it ends
  if (m.commit <= commit_) return report_replay(false);
  replay_requested_ = true;
  ready_.replay = ReplayRequest{m.from, commit_.next(), m.commit};
}

void Core::handle_replay_response(const Message& m) {
  auto* pr = progress_.find(m.from);
  if (!pr) return;
  pr->recent_active = true;
  pr->last_heard = now_;
  if (m.index > log_.last_index()) return ignore(m, "match beyond our log");
  if (pr->on_success(m.index)) maybe_commit();
  if (pr->state != Progress::State::Replay) return;  // late: appends go on as they are
  if (m.reject) pr->replay_declined = true;
  if (replay_wanted(*pr)) {
    pr->replay_deadline = now_ + options_.replay_timeout;  // the fetch goes on
    return;
  }
  pr->become_replicate();
  (void)fill_pipeline(m.from, *pr);
}

void Core::report_replay(bool failed) {
  if (!leader_ || role_ != Role::Follower) return;
  auto r = make(MessageType::ReplayResponse, *leader_);
  r.index = commit_;  // committed here, so the leader's log holds the same up to it
  r.reject = failed;
  send(std::move(r));
}

std::optional<CommittedRun> Core::committed_run(std::uint64_t incarnation, Index from, std::size_t max_count,
                                                std::size_t max_bytes) const {
  if (incarnation != hard_.incarnation || incarnation == 0) return std::nullopt;
  const bool planted_bug = planted(PlantedBug::ReplayServesUncommitted);
  const Index upto = planted_bug ? log_.last_index() : commit_;
  if (from <= log_.base().index || from > upto || max_count == 0) return std::nullopt;
  CommittedRun run;
  run.incarnation = hard_.incarnation;
  run.prev = Cursor{*log_.term_at(from.prev()), from.prev()};
  run.entries = log_.slice(from, upto, max_count, max_bytes);
  invariant(!run.entries.empty() && (planted_bug || run.entries.back().index <= commit_), "a served run is committed");
  return run;
}

std::expected<Index, std::string> Core::accept_committed(const CommittedRun& run) {
  if (role_ != Role::Follower) return std::unexpected("not a follower");
  if (run.incarnation == 0 || run.incarnation != hard_.incarnation)
    return std::unexpected(fmt::format("of incarnation {}, ours is {}", run.incarnation, hard_.incarnation));
  if (run.entries.empty()) return std::unexpected("no entries");
  if (run.entries.size() > kMaxEntriesPerMessage) return std::unexpected("too many entries");
  if (auto ok = validate_chain(run.prev, hard_.term, run.entries); !ok) return std::unexpected(ok.error().reason);
  if (run.entries.back().index <= commit_) return commit_;  // the leader brought them meanwhile
  if (!log_.matches(run.prev.index, run.prev.term))
    return std::unexpected(fmt::format("does not link to our log at {} (term {})", run.prev.index, run.prev.term));
  // Checked before anything changes: a conflict can only lie at or below our commit, which
  // comes before any entry this run would replace or add.
  for (const auto& e : run.entries) {
    if (e.index > commit_ || !log_.holds(e.index)) break;
    if (log_.term_at(e.index) != e.term)
      return std::unexpected(fmt::format("conflicts with our committed entry {}", e.index));
  }
  for (const auto& e : run.entries) {
    if (e.index <= log_.last_index()) {
      if (log_.term_at(e.index) == e.term) continue;
      invariant(e.index > commit_, "a replayed run never replaces a committed entry");
      truncate_local(e.index);  // uncommitted and conflicting with a committed entry: never commits
    }
    append_local(e);
  }
  const Index before = commit_;
  commit_to(run.entries.back().index);
  invariant(commit_ >= before && log_.matches(commit_, run.entries.back().term), "the run is our committed log");
  report_replay(false);
  return commit_;
}

void Core::replay_done(bool fetched) {
  if (!replay_requested_) return;
  replay_requested_ = false;
  report_replay(!fetched);
}

}  // namespace mosaik::groups::raft
