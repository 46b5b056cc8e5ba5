// Log replication: the leader's appends, heartbeats and commit rule; the follower's side.
#include <algorithm>
#include <stdexcept>

#include "core.hpp"

namespace mosaik::groups::raft {

void Core::tick_leader() {
  // A learner may lead (it was elected by a quorum of voters) until it promotes itself; a
  // leader that is no member at all steps down.
  if (!membership().contains(options_.id)) {
    become_follower(hard_.term, std::nullopt);
    return;
  }
  if (now_ >= check_quorum_deadline_) {
    // CheckQuorum: a leader cut off from a quorum steps down instead of serving stale reads.
    if (!progress_.quorum_active(membership(), options_.id)) {
      become_follower(hard_.term, std::nullopt);
      return;
    }
    progress_.clear_recent_active();
    check_quorum_deadline_ = now_ + options_.config.election_timeout;
  }
  if (now_ >= heartbeat_deadline_) {
    broadcast_heartbeat(read_round_);
    const auto& c = options_.config;
    const auto jitter_max = static_cast<std::uint64_t>(c.heartbeat_jitter.count());
    const auto jitter = jitter_max == 0 ? 0 : options_.random() % (jitter_max + 1);
    heartbeat_deadline_ = now_ + c.heartbeat_interval - Time(static_cast<Time::rep>(jitter));
  }
  maybe_change_membership();
}

void Core::send_append(const NodeId& to, Progress& pr) {
  if (pr.paused(options_.max_inflight_appends)) return;
  const Index prev = pr.next.prev();
  const auto prev_term = log_.term_at(prev);
  if (!prev_term) {
    // The entries it needs were compacted away: it must state-sync from a snapshot.
    auto m = make(MessageType::StateSync, to);
    m.index = log_.base().index;
    m.log_term = log_.base().term;
    m.membership = configs_.at(log_.base().index);
    pr.state = Progress::State::StateSync;
    send(std::move(m));
    return;
  }
  if (pr.state == Progress::State::Replicate && replay_wanted(pr)) return send_replay(to, pr);
  auto m = make(MessageType::Append, to);
  m.index = prev;
  m.log_term = *prev_term;
  m.commit = commit_;
  m.entries = log_.slice(pr.next, log_.last_index(), options_.max_entries_per_append, options_.max_append_bytes);
  if (pr.state == Progress::State::Replicate && !m.entries.empty()) {
    pr.next = m.entries.back().index.next();
    pr.inflight.push_back(m.entries.back().index);
  } else if (pr.state == Progress::State::Probe) {
    pr.probe_sent = true;
  }
  send(std::move(m));
}

void Core::broadcast_append() {
  for (auto& [id, pr] : progress_.all()) {
    if (pr.next <= log_.last_index() || pr.state == Progress::State::Probe) send_append(id, pr);
  }
}

void Core::broadcast_heartbeat(std::uint64_t round) {
  for (auto& [id, pr] : progress_.all()) {
    auto m = make(MessageType::Heartbeat, id);
    m.commit = std::min(pr.match, commit_);
    m.request = round;
    send(std::move(m));
  }
  commit_broadcast_pending_ = false;
  read_broadcast_pending_ = false;
}

void Core::flush_leader_broadcasts() {
  if (read_broadcast_pending_) {
    broadcast_heartbeat(read_round_);
  } else if (commit_broadcast_pending_) {
    flush_commit_broadcast();
  }
  // After the commit: a follower that got its entries there is not sent them twice.
  if (append_broadcast_pending_) {
    append_broadcast_pending_ = false;
    broadcast_append();
  }
}

void Core::flush_commit_broadcast() {
  commit_broadcast_pending_ = false;
  for (auto& [id, pr] : progress_.all()) {
    if (pr.next <= log_.last_index() && !pr.paused(options_.max_inflight_appends)) {
      send_append(id, pr);  // carries the new commit with the next entries
    } else if (pr.match > Index(0)) {
      auto m = make(MessageType::Heartbeat, id);
      m.commit = std::min(pr.match, commit_);
      m.request = read_round_;
      send(std::move(m));
    }
  }
}

// A message only the leader of m.term sends: follow it and hold off elections.
void Core::follow_sender(const Message& m) {
  if (role_ != Role::Follower || leader_ != m.from) become_follower(m.term, m.from);
  heard_from_leader_ = true;
  last_leader_contact_ = now_;
  reset_election_deadline();
}

void Core::handle_append(const Message& m) {
  follow_sender(m);
  auto r = make(MessageType::AppendResponse, m.from);
  if (m.index < commit_) {
    r.index = commit_;  // our committed prefix matches the leader's: resume after it
    return send(std::move(r));
  }
  if (!log_.matches(m.index, m.log_term)) {
    r.reject = true;
    r.index = m.index;
    r.hint = log_.find_conflict_by_term(std::min(m.index, log_.last_index()), m.log_term);
    return send(std::move(r));
  }
  for (const auto& e : m.entries) {
    if (e.index <= log_.last_index()) {
      if (log_.term_at(e.index) == e.term || planted(PlantedBug::AppendKeepsConflicts)) continue;
      if (e.index <= commit_) return ignore(m, "conflicts with a committed entry");
      truncate_local(e.index);
    }
    append_local(e);
  }
  const Index last_new = Index(m.index.value + m.entries.size());
  commit_to(std::min(m.commit, last_new));
  r.index = last_new;
  send(std::move(r));
}

void Core::handle_heartbeat(const Message& m) {
  follow_sender(m);
  // The leader sends min(match, commit): our log matches its log up to there.
  commit_to(std::min(m.commit, log_.last_index()));
  auto r = make(MessageType::HeartbeatResponse, m.from);
  r.request = m.request;
  send(std::move(r));
}

void Core::handle_state_sync(const Message& m) {
  follow_sender(m);
  if (m.index <= commit_) {
    auto r = make(MessageType::AppendResponse, m.from);
    r.index = commit_;
    return send(std::move(r));
  }
  if (state_sync_requested_) return;
  state_sync_requested_ = true;
  ready_.state_sync = StateSyncRequest{m.from, SnapshotPoint{{m.log_term, m.index}, m.membership}};
}

void Core::handle_append_response(const Message& m) {
  auto* pr = progress_.find(m.from);
  if (!pr) return;
  pr->recent_active = true;
  pr->last_heard = now_;
  if (m.reject) {
    if (pr->on_reject(m.index, m.hint)) send_append(m.from, *pr);
    return;
  }
  if (m.index > log_.last_index()) return ignore(m, "match beyond our log");
  const Index old_match = pr->match;
  const bool advanced = pr->on_success(m.index);
  // A follower replaying from the members stays so while it is far behind (an answer to an
  // append sent before it was told).
  if (pr->state == Progress::State::Replay && replay_wanted(*pr)) {
    if (advanced) maybe_commit();
    return;
  }
  if (pr->state != Progress::State::Replicate) pr->become_replicate();
  if (advanced) maybe_commit();
  const bool sent = fill_pipeline(m.from, *pr);
  // The commit moved past this member's match before this answer came (another member made
  // the quorum), so what it was told of the commit stopped at its old match. With nothing
  // new to append it would hear the commit only at the next heartbeat, and its waiting
  // proposals with it: tell it now (etcd's raft does the same, "CanBumpCommit").
  if (advanced && !sent && old_match < commit_) {
    auto h = make(MessageType::Heartbeat, m.from);
    h.commit = std::min(pr->match, commit_);
    h.request = read_round_;
    send(std::move(h));
  }
}

bool Core::fill_pipeline(const NodeId& to, Progress& pr) {
  // Bounded by max_inflight_appends in Replicate.
  bool sent = false;
  while (pr.next <= log_.last_index() && !pr.paused(options_.max_inflight_appends)) {
    const Index before = pr.next;
    send_append(to, pr);
    sent = true;
    if (pr.next == before) break;
  }
  return sent;
}

void Core::handle_heartbeat_response(const Message& m) {
  auto* pr = progress_.find(m.from);
  if (!pr) return;
  pr->recent_active = true;
  pr->last_heard = now_;
  pr->probe_sent = false;
  if (pr->state == Progress::State::Replicate && pr->inflight.size() >= options_.max_inflight_appends)
    pr->inflight.pop_front();  // a lost append must not stall the pipeline forever
  if (pr->state == Progress::State::StateSync) pr->become_probe();  // re-send the StateSync
  // A replay that reported nothing for replay_timeout: probe again (and maybe re-send Replay).
  if (pr->state == Progress::State::Replay && now_ >= pr->replay_deadline) pr->become_probe();
  if (pr->match < log_.last_index()) send_append(m.from, *pr);
  if (m.request > pr->read_ack) {
    pr->read_ack = std::min(m.request, read_round_);
    release_confirmed_reads();
  }
}

bool Core::committed_in_current_term() const { return log_.term_at(commit_) == hard_.term; }

void Core::maybe_commit() {
  if (role_ != Role::Leader) return;
  const Index own = planted(PlantedBug::CommitBeforePersist) ? log_.last_index() : log_.stable_last();
  const Index candidate = planted(PlantedBug::CommitWithoutQuorum)      ? log_.last_index()
                          : planted(PlantedBug::LearnerCountedInQuorum) ? planted_match_counting_learners()
                                                                        : progress_.quorum_match(membership(), options_.id, own);
  // §5.4.2: only an entry of the current term is committed by counting replicas.
  if (candidate <= commit_) return;
  if (log_.term_at(candidate) != hard_.term && !planted(PlantedBug::CountEarlierTermReplicas)) return;
  const bool first_in_term = !committed_in_current_term();
  commit_to(candidate);
  commit_broadcast_pending_ = true;
  if (first_in_term) start_reads_waiting_for_term();
}

// LearnerCountedInQuorum: the quorum-th highest match among voters and learners alike.
Index Core::planted_match_counting_learners() const {
  const Membership& m = membership();
  std::vector<Index> matches;
  for (const auto* list : {&m.voters, &m.learners}) {
    for (const auto& member : *list) {
      if (member == options_.id) {
        matches.push_back(log_.stable_last());
      } else if (const auto* pr = progress_.find(member)) {
        matches.push_back(pr->match);
      }
    }
  }
  if (m.voters.empty() || matches.size() < m.quorum()) return Index(0);
  std::sort(matches.begin(), matches.end(), std::greater<>());
  return matches[m.quorum() - 1];
}

void Core::commit_to(Index index) {
  if (index <= commit_) return;
  invariant(index <= log_.last_index(), "commit beyond the log");
  commit_ = index;
  resolve_pending_commits();
}

}  // namespace mosaik::groups::raft
