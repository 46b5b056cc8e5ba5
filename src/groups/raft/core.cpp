// Construction, input dispatch (validation, incarnation, term rules) and Ready assembly.
#include "core.hpp"

#include <stdexcept>

#include <algorithm>

#include "membership_codec.hpp"

namespace mosaik::groups::raft {

Core::Core(CoreOptions options, const LogStore& store, Time now)
    : options_(std::move(options)),
      hard_(store.hard_state()),
      log_(store),
      configs_(store.base().membership),
      now_(now) {
  if (!options_.random) throw std::invalid_argument("raft::Core needs a random generator");
  if (auto ok = options_.config.validate(); !ok) throw std::invalid_argument(ok.error().message);
  if (options_.max_entries_per_append == 0 || options_.max_inflight_appends == 0 ||
      options_.max_append_bytes == 0 || options_.max_append_bytes > kMaxProposalBytes)
    throw std::invalid_argument("raft::Core: batching bounds must be positive and within a message");
  // The memberships the stored entries define: the only thing read from the whole log.
  for (Index i = log_.first_index(); i <= log_.last_index();) {
    auto batch = log_.slice(i, log_.last_index(), SIZE_MAX, options_.max_append_bytes);
    for (const auto& e : batch)
      if (e.entry_kind() == EntryKind::Membership) on_membership_entry(e);
    i = batch.back().index.next();
  }
  commit_ = applying_ = applied_ = log_.base().index;
  unstable_from_ = log_.last_index().next();
  forward_memory_after_ = hard_.term;
  reset_election_deadline();
}

void Core::ignore(const Message&, const char*) { ++ignored_messages_; }

Message Core::make(MessageType type, const NodeId& to) const {
  Message m;
  m.type = static_cast<std::uint8_t>(type);
  m.incarnation = hard_.incarnation;
  m.from = options_.id;
  m.to = to;
  m.term = hard_.term;
  return m;
}

void Core::send(Message m) { ready_.messages.push_back(std::move(m)); }

void Core::notify_role() { role_dirty_ = true; }

void Core::append_local(Entry e) {
  if (e.entry_kind() == EntryKind::Membership) {
    log_.append(e);
    on_membership_entry(e);
  } else {
    log_.append(std::move(e));
  }
}

void Core::truncate_local(Index from) {
  log_.truncate_from(from);
  configs_.truncate_from(from);
  if (from < unstable_from_) unstable_from_ = from;
}

void Core::tick(Time now) {
  if (now > now_) now_ = now;
  if (role_ == Role::Leader) {
    tick_leader();
  } else {
    if (now_ >= election_deadline_) on_election_timeout();
  }
  expire_forwards();
  expire_pending_commits();
  expire_reads();
}

void Core::step_bytes(std::span<const std::uint8_t> bytes) {
  auto m = decode_message(bytes);
  if (!m) {
    ++ignored_messages_;
    return;
  }
  step(std::move(*m));
}

void Core::step(Message m) {
  if (auto ok = validate(m); !ok) return ignore(m, "invalid");
  if (m.to != options_.id) return ignore(m, "not addressed to us");
  if (!accept_incarnation(m)) return;
  if (!handle_term(m)) return;
  dispatch(m);
}

bool Core::accept_incarnation(const Message& m) {
  if (m.incarnation == hard_.incarnation) {
    if (unbound() && !group_exists_) group_exists_ = proves_group_exists(m);
    return true;
  }
  if (!unbound() || group_exists_) {
    ignore(m, "other incarnation");
    return false;
  }
  // We hold no entry of any group yet, so we may join whichever group reaches us.
  switch (m.message_type()) {
    case MessageType::Append:
    case MessageType::Heartbeat:
    case MessageType::StateSync:
      switch_incarnation(m.incarnation);
      group_exists_ = proves_group_exists(m);
      return true;
    case MessageType::PreVote:
    case MessageType::Vote:
      // A genesis vote must name us and its incarnation must be the one its set defines;
      // a vote without a set comes from a group whose genesis named us (only voters are asked).
      if (!m.voters.empty() && (!options_.may_found || incarnation_of(m.voters) != m.incarnation ||
           !std::binary_search(m.voters.begin(), m.voters.end(), options_.id))) {
        ignore(m, "genesis vote not for us");
        return false;
      }
      switch_incarnation(m.incarnation);
      group_exists_ = proves_group_exists(m);
      return true;
    default:
      // A group exists around us: wait for its leader instead of founding another.
      reset_election_deadline();
      ignore(m, "unbound");
      return false;
  }
}

// Only a committed entry proves that the group lives: entries alone may be all that is left
// of a genesis whose leader departed, and waiting for it would be waiting forever
// (docs/decisions/0402, SIM_SEED=1593279518).
bool Core::proves_group_exists(const Message& m) {
  switch (m.message_type()) {
    case MessageType::Append:
    case MessageType::Heartbeat: return !m.commit.is_zero();  // the leader's commit index
    case MessageType::StateSync: return true;  // a leader compacts only what it applied
    default: return false;
  }
}

bool Core::handle_term(const Message& m) {
  const auto type = m.message_type();
  // Forwarded work is valid across terms: acks and confirmations name their own terms.
  const bool term_free = type == MessageType::Forward || type == MessageType::ForwardResponse ||
                         type == MessageType::ReadIndex || type == MessageType::ReadIndexResponse;
  if (m.term > hard_.term) {
    switch (type) {
      case MessageType::PreVote: return true;  // a pre-vote never moves terms
      case MessageType::PreVoteResponse:
        if (!m.reject) return true;
        become_follower(m.term, std::nullopt);
        return false;
      case MessageType::Vote:
        if (in_lease()) {  // CheckQuorum: a live leader is not disrupted
          ignore(m, "vote in lease");
          return false;
        }
        become_follower(m.term, std::nullopt);
        return true;
      case MessageType::Append:
      case MessageType::Heartbeat:
      case MessageType::StateSync:
      case MessageType::Replay: become_follower(m.term, m.from); return true;
      default: become_follower(m.term, std::nullopt); return true;
    }
  }
  if (m.term < hard_.term && !term_free) {
    if (type == MessageType::Append || type == MessageType::Heartbeat || type == MessageType::Replay) {
      // Tell a stale leader about the newer term so it steps down.
      send(make(MessageType::AppendResponse, m.from));
    } else if (type == MessageType::PreVote) {
      auto r = make(MessageType::PreVoteResponse, m.from);
      r.reject = true;
      send(std::move(r));
    }
    ignore(m, "stale term");
    return false;
  }
  return true;
}

void Core::dispatch(const Message& m) {
  switch (m.message_type()) {
    case MessageType::PreVote:
    case MessageType::Vote: return handle_vote_request(m);
    case MessageType::PreVoteResponse:
    case MessageType::VoteResponse: return handle_vote_response(m);
    case MessageType::Append: return handle_append(m);
    case MessageType::Heartbeat: return handle_heartbeat(m);
    case MessageType::StateSync: return handle_state_sync(m);
    case MessageType::AppendResponse:
      if (role_ == Role::Leader) handle_append_response(m);
      return;
    case MessageType::HeartbeatResponse:
      if (role_ == Role::Leader) handle_heartbeat_response(m);
      return;
    case MessageType::Forward: return handle_forward(m);
    case MessageType::ForwardResponse: return handle_forward_response(m);
    case MessageType::ReadIndex: return handle_read_index(m);
    case MessageType::ReadIndexResponse: return handle_read_index_response(m);
    case MessageType::Replay: return handle_replay(m);
    case MessageType::ReplayResponse:
      if (role_ == Role::Leader) handle_replay_response(m);
      return;
  }
}

bool Core::has_ready() const {
  return hard_dirty_ || role_dirty_ || unstable_from_ <= log_.last_index() || applying_ < commit_ ||
         !ready_.empty() || (role_ == Role::Leader &&
          (commit_broadcast_pending_ || read_broadcast_pending_ || append_broadcast_pending_));
}

Ready Core::take_ready() {
  if (role_dirty_ && !pending_forwards_.empty()) abandon_forwards_to_former_leaders();
  if (role_ == Role::Leader) flush_leader_broadcasts();
  Ready out = std::move(ready_);
  ready_ = Ready{};
  if (hard_dirty_) {
    out.hard_state = hard_;
    hard_dirty_ = false;
    if (planted(PlantedBug::VoteNeverDurable)) out.hard_state->vote.reset();
    if (planted_unpersisted_vote_) {  // VoteBeforePersist: the grant leaves now, the vote next time
      out.hard_state->vote = *planted_unpersisted_vote_;
      planted_unpersisted_vote_.reset();
      hard_dirty_ = true;
    }
    if (planted_unpersisted_hard_) {  // CampaignBeforePersist: the requests leave now, the term next time
      out.hard_state = *planted_unpersisted_hard_;
      planted_unpersisted_hard_.reset();
      hard_dirty_ = true;
    }
  }
  if (unstable_from_ <= log_.last_index()) {
    out.entries = log_.slice(unstable_from_, log_.last_index(), SIZE_MAX, SIZE_MAX);
    unstable_from_ = log_.last_index().next();
  }
  if (applying_ < commit_) {
    out.committed = log_.slice(applying_.next(), commit_, SIZE_MAX, SIZE_MAX);
    applying_ = commit_;
  }
  if (role_dirty_) {
    out.role_change = RoleChange{role_, hard_.term, leader_};
    role_dirty_ = false;
  }
  return out;
}

void Core::persisted(Cursor up_to) {
  // A report older than a truncation names an entry since overwritten: log matching makes
  // the term check enough (same index and term, same log up to there).
  log_.stable_to(up_to);
  if (role_ == Role::Leader) maybe_commit();  // our own copy counts now
}

void Core::applied(Index up_to) {
  invariant(up_to <= applying_, "applied() reports an entry never handed out");
  if (up_to > applied_) applied_ = up_to;
  invariant(applied_ <= commit_, "applied beyond the commit index");
}

Time Core::next_deadline() const {
  Time next = role_ == Role::Leader ? std::min(heartbeat_deadline_, check_quorum_deadline_) : election_deadline_;
  for (const auto& [request, f] : pending_forwards_) next = std::min(next, f.deadline);
  next = std::min(next, earliest_commit_deadline_);
  for (const auto& [request, deadline] : pending_remote_reads_) next = std::min(next, deadline);
  if (!leader_reads_.empty()) next = std::min(next, leader_reads_.front().deadline);
  if (!reads_waiting_for_term_.empty()) next = std::min(next, reads_waiting_for_term_.front().deadline);
  return next;
}

}  // namespace mosaik::groups::raft
