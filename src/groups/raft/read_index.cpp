// Linearizable reads (Raft dissertation §6.4, ReadIndex): the leader records its commit
// index, confirms with a heartbeat round that a quorum still follows it, and only then lets
// the read be served at that index. No clock assumption: no leases are used for reads.
#include "core.hpp"

namespace mosaik::groups::raft {

void Core::read(std::uint64_t request) {
  if (hard_.incarnation == 0 || !leader_) return finish_read({request, std::nullopt, {}, 0, {}}, false, FailReason::NoLeader);
  const Time deadline = now_ + options_.config.query_timeout;
  if (role_ == Role::Leader) return start_read(request, std::nullopt, deadline);
  if (pending_remote_reads_.size() >= options_.max_pending_reads || pending_remote_reads_.contains(request))
    return finish_read({request, std::nullopt, {}, 0, {}}, false, FailReason::Busy);
  pending_remote_reads_.emplace(request, deadline);
  auto m = make(MessageType::ReadIndex, *leader_);
  m.request = request;
  send(std::move(m));
}

void Core::start_read(std::uint64_t request, std::optional<NodeId> origin, Time deadline) {
  PendingRead r{request, origin, {}, 0, deadline};
  if (leader_reads_.size() + reads_waiting_for_term_.size() >= options_.max_pending_reads)
    return finish_read(r, false, FailReason::Busy);
  if (!committed_in_current_term()) {
    // A new leader does not know the latest commit until its own noop commits.
    reads_waiting_for_term_.push_back(r);
    return;
  }
  r.index = commit_;
  r.round = ++read_round_;
  leader_reads_.push_back(r);
  read_broadcast_pending_ = true;
  release_confirmed_reads();  // a single voter confirms itself
}

void Core::start_reads_waiting_for_term() {
  auto waiting = std::move(reads_waiting_for_term_);
  reads_waiting_for_term_.clear();
  for (const auto& r : waiting) start_read(r.request, r.origin, r.deadline);
}

void Core::release_confirmed_reads() {
  while (!leader_reads_.empty() &&
         (progress_.quorum_read_ack(membership(), options_.id, leader_reads_.front().round) ||
          planted(PlantedBug::ReadWithoutConfirmation))) {
    finish_read(leader_reads_.front(), true, {});
    leader_reads_.pop_front();
  }
}

void Core::finish_read(const PendingRead& r, bool ok, FailReason reason) {
  if (r.origin) {
    auto m = make(MessageType::ReadIndexResponse, *r.origin);
    m.request = r.request;
    m.index = r.index;
    m.reject = !ok;
    return send(std::move(m));
  }
  ready_.reads.push_back({r.request, ok, r.index, reason});
}

void Core::handle_read_index(const Message& m) {
  if (role_ != Role::Leader) {
    auto r = make(MessageType::ReadIndexResponse, m.from);
    r.request = m.request;
    r.reject = true;
    return send(std::move(r));
  }
  start_read(m.request, m.from, now_ + options_.config.query_timeout);
}

void Core::handle_read_index_response(const Message& m) {
  auto it = pending_remote_reads_.find(m.request);
  if (it == pending_remote_reads_.end()) return;
  pending_remote_reads_.erase(it);
  ready_.reads.push_back({m.request, !m.reject, m.index, m.reject ? FailReason::NoLeader : FailReason{}});
}

void Core::expire_reads() {
  auto expire_front = [&](std::deque<PendingRead>& q) {
    while (!q.empty() && q.front().deadline <= now_) {
      finish_read(q.front(), false, FailReason::Timeout);
      q.pop_front();
    }
  };
  expire_front(leader_reads_);
  expire_front(reads_waiting_for_term_);
  for (auto it = pending_remote_reads_.begin(); it != pending_remote_reads_.end();) {
    if (it->second <= now_) {
      ready_.reads.push_back({it->first, false, {}, FailReason::Timeout});
      it = pending_remote_reads_.erase(it);
    } else {
      ++it;
    }
  }
}

void Core::fail_all_leader_reads() {
  for (const auto& r : leader_reads_) finish_read(r, false, FailReason::NoLeader);
  for (const auto& r : reads_waiting_for_term_) finish_read(r, false, FailReason::NoLeader);
  leader_reads_.clear();
  reads_waiting_for_term_.clear();
}

}  // namespace mosaik::groups::raft
