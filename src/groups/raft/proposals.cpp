// Proposals: appended by the leader, forwarded by followers (forward_timeout), and reported
// committed only after a term check at their index (an overwritten entry is Dropped). One
// that was appended but that nobody commits for us within forward_timeout (we stopped
// leading, or the leader accepted our forward and we never learn its commit: cut off) fails
// with Timeout, outcome unknown, instead of waiting for the partition to heal. A forward
// still unanswered when we stop following its leader fails the same way at once.
#include "core.hpp"

namespace mosaik::groups::raft {

void Core::propose(std::uint64_t request, std::vector<Bytes> commands) {
  auto fail = [&](FailReason reason) { fail_proposal(request, reason); };
  if (commands.empty() || commands.size() > kMaxEntriesPerMessage) return fail(FailReason::Busy);
  std::size_t bytes = 0;
  for (const auto& c : commands) bytes += c.size() + kEntryOverheadBytes;
  if (bytes > kMaxProposalBytes) return fail(FailReason::TooLarge);
  if (hard_.incarnation == 0) return fail(FailReason::NoLeader);
  if (pending_commits_.size() + pending_forwards_.size() >= options_.max_pending_proposals)
    return fail(FailReason::Busy);
  if (role_ == Role::Leader)
    return append_commands(request, {std::make_move_iterator(commands.begin()), std::make_move_iterator(commands.end())},
                           std::nullopt);
  if (!leader_) return fail(FailReason::NoLeader);
  if (pending_forwards_.contains(request)) return fail(FailReason::Busy);
  auto m = make(MessageType::Forward, *leader_);
  m.request = request;
  m.entries.reserve(commands.size());
  for (auto& c : commands) {
    Entry e;
    e.kind = static_cast<std::uint8_t>(EntryKind::Command);
    e.data = std::move(c);
    m.entries.push_back(std::move(e));
  }
  pending_forwards_.emplace(request, PendingForward{m.entries.size(), now_ + options_.config.forward_timeout, *leader_});
  send(std::move(m));
}

void Core::append_commands(std::uint64_t request, std::vector<Payload> commands,
                           std::optional<NodeId> origin) {
  const Index first = log_.last_index().next();
  for (auto& c : commands) log_.append_new(hard_.term, EntryKind::Command, std::move(c));
  const IndexRange range{first, log_.last_index()};
  if (origin) {
    auto r = make(MessageType::ForwardResponse, *origin);
    r.request = request;
    r.index = range.first;
    r.hint = range.last;
    r.log_term = hard_.term;
    send(std::move(r));
  } else {
    ready_.proposals.push_back({request, ProposalOutcome::Kind::Accepted, range, hard_.term, {}});
    pending_commits_.emplace(range.last, PendingCommit{request, range, hard_.term});
  }
  append_broadcast_pending_ = true;  // sent with the Ready: proposals until then share an Append
  maybe_commit();
}

void Core::handle_forward(const Message& m) {
  // A duplicate gets the first answer even if our role changed since: a refusal after an
  // append would say "certainly not appended", falsely; an append after a refusal would
  // commit what the follower already reported as failed (issue 19 bug 2).
  const auto key = std::make_pair(m.from, m.request);
  auto answer = [&](const ForwardAck& a) {
    auto r = make(MessageType::ForwardResponse, m.from);
    r.request = m.request;
    if (a.refused) {
      r.reject = true;
      r.hint = Index(a.certain ? 0 : 1);
    } else {
      r.index = a.range.first;
      r.hint = a.range.last;
      r.log_term = a.term;
    }
    send(std::move(r));
  };
  if (auto it = forwarded_.find(key); it != forwarded_.end()) return answer(it->second);
  // The follower sent it to the leader of its term: only that leader, in that term, appends.
  if (role_ != Role::Leader || m.term != hard_.term || m.entries.empty()) {
    const ForwardAck refusal{{}, hard_.term, true, never_appended_in_this_term(m)};
    remember_forward(key, refusal);
    return answer(refusal);
  }
  std::vector<Payload> commands;
  commands.reserve(m.entries.size());
  for (const auto& e : m.entries) commands.push_back(e.data);
  const Index first = log_.last_index().next();
  append_commands(m.request, std::move(commands), m.from);
  remember_forward(key, ForwardAck{{first, log_.last_index()}, hard_.term});
}

bool Core::never_appended_in_this_term(const Message& forward) const {
  if (forward.term != hard_.term) return false;  // an older term we may have led in a past life
  // We led this term only if we voted for ourselves in it; if we did, forwarded_ knows every
  // Forward we appended in it provided the term began after our memory of forwards did.
  return hard_.vote != options_.id || hard_.term > forward_memory_after_;
}

void Core::remember_forward(const std::pair<NodeId, std::uint64_t>& key, ForwardAck ack) {
  forwarded_.emplace(key, ack);
  forwarded_order_.push_back(key);
  if (forwarded_order_.size() <= kForwardDedupEntries) return;
  auto oldest = forwarded_.find(forwarded_order_.front());
  forward_memory_after_ = std::max(forward_memory_after_, oldest->second.term);
  forwarded_.erase(oldest);
  forwarded_order_.pop_front();
}

void Core::handle_forward_response(const Message& m) {
  auto it = pending_forwards_.find(m.request);
  if (it == pending_forwards_.end()) return;  // late or duplicated
  if (m.reject) {
    pending_forwards_.erase(it);
    return fail_proposal(m.request, m.hint.is_zero() ? FailReason::NoLeader : FailReason::Unknown);
  }
  const IndexRange range{m.index, m.hint};
  if (range.size() != it->second.count) return ignore(m, "range does not match the batch");
  pending_forwards_.erase(it);
  ready_.proposals.push_back({m.request, ProposalOutcome::Kind::Accepted, range, m.log_term, {}});
  const Time deadline = now_ + options_.config.forward_timeout;
  pending_commits_.emplace(range.last, PendingCommit{m.request, range, m.log_term, deadline});
  earliest_commit_deadline_ = std::min(earliest_commit_deadline_, deadline);
  resolve_pending_commits();
}

void Core::resolve_pending_commits() {
  while (!pending_commits_.empty() && pending_commits_.begin()->first <= commit_) {
    const PendingCommit p = pending_commits_.begin()->second;
    pending_commits_.erase(pending_commits_.begin());
    // The term check: the index is committed, but is it still our entry?
    const auto term = log_.term_at(p.range.last);
    if (!term) {
      fail_proposal(p.request, FailReason::Unknown);
    } else if (*term == p.term) {
      ready_.proposals.push_back({p.request, ProposalOutcome::Kind::Committed, p.range, p.term, {}});
    } else {
      fail_proposal(p.request, FailReason::Dropped);
    }
  }
}

void Core::fail_proposal(std::uint64_t request, FailReason reason) {
  ProposalOutcome o;
  o.request = request;
  o.kind = ProposalOutcome::Kind::Failed;
  o.reason = reason;
  ready_.proposals.push_back(o);
}

void Core::start_pending_commit_deadlines() {
  const Time deadline = now_ + options_.config.forward_timeout;
  for (auto& [index, p] : pending_commits_) p.deadline = std::min(p.deadline, deadline);
  if (!pending_commits_.empty()) earliest_commit_deadline_ = std::min(earliest_commit_deadline_, deadline);
}

void Core::expire_pending_commits() {
  if (now_ < earliest_commit_deadline_) return;
  earliest_commit_deadline_ = Time::max();
  for (auto it = pending_commits_.begin(); it != pending_commits_.end();) {
    if (it->second.deadline <= now_) {
      fail_proposal(it->second.request, FailReason::Timeout);
      it = pending_commits_.erase(it);
    } else {
      earliest_commit_deadline_ = std::min(earliest_commit_deadline_, it->second.deadline);
      ++it;
    }
  }
}

// The leader we forwarded to is no longer ours (we heard of another, or campaign): its answer
// would come too late to matter. Outcome unknown, since it may have appended the commands;
// the caller may retry through the new leader now rather than after forward_timeout.
void Core::abandon_forwards_to_former_leaders() {
  for (auto it = pending_forwards_.begin(); it != pending_forwards_.end();) {
    if (role_ != Role::Leader && leader_ == it->second.to) {
      ++it;
      continue;
    }
    fail_proposal(it->first, FailReason::Timeout);
    it = pending_forwards_.erase(it);
  }
}

void Core::expire_forwards() {
  for (auto it = pending_forwards_.begin(); it != pending_forwards_.end();) {
    if (it->second.deadline <= now_) {
      fail_proposal(it->first, FailReason::Timeout);
      it = pending_forwards_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace mosaik::groups::raft
