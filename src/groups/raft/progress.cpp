#include "progress.hpp"

#include <algorithm>
#include <vector>

namespace mosaik::groups::raft {

bool Progress::on_success(Index index) {
  bool updated = false;
  if (index > match) {
    match = index;
    updated = true;
    probe_sent = false;
  }
  if (index.next() > next) next = index.next();
  while (!inflight.empty() && inflight.front() <= index) inflight.pop_front();
  return updated;
}

bool Progress::on_reject(Index rejected, Index hint) {
  if (state == State::Replicate) {
    if (rejected <= match) return false;  // stale: sent before a later success
    next = match.next();
    become_probe();
    return true;
  }
  if (next.prev() != rejected) return false;  // stale probe answer
  next = std::max(std::min(rejected, hint.next()), match.next());
  if (next.is_zero()) next = Index(1);
  probe_sent = false;
  return true;
}

void Progress::become_probe() {
  state = State::Probe;
  probe_sent = false;
  inflight.clear();
  if (next <= match) next = match.next();
}

void Progress::become_replicate() {
  state = State::Replicate;
  probe_sent = false;
  next = match.next();
  inflight.clear();
}

void Progress::become_replay(Time deadline) {
  state = State::Replay;
  probe_sent = false;
  next = match.next();
  inflight.clear();
  replay_deadline = deadline;
}

bool Progress::paused(std::size_t max_inflight) const {
  switch (state) {
    case State::Probe: return probe_sent;
    case State::Replicate: return inflight.size() >= max_inflight;
    case State::StateSync:
    case State::Replay: return true;
  }
  return true;
}

void ProgressTracker::sync(const Membership& m, const NodeId& self, Index last_index, Time now) {
  std::erase_if(peers_, [&](const auto& p) { return !m.contains(p.first); });
  auto add = [&](const NodeId& id) {
    if (id == self || peers_.contains(id)) return;
    Progress p;
    p.next = last_index.next();
    p.recent_active = true;  // a new member gets one CheckQuorum round of grace
    p.last_heard = now;
    peers_.emplace(id, p);
  };
  for (const auto& v : m.voters) add(v);
  for (const auto& l : m.learners) add(l);
}

void ProgressTracker::reset_all(const Membership& m, const NodeId& self, Index last_index, Time now) {
  peers_.clear();
  sync(m, self, last_index, now);
}

Progress* ProgressTracker::find(const NodeId& id) {
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : &it->second;
}

const Progress* ProgressTracker::find(const NodeId& id) const {
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : &it->second;
}

Index ProgressTracker::quorum_match(const Membership& m, const NodeId& self, Index self_last) const {
  if (m.voters.empty()) return Index(0);
  std::vector<Index> matches;
  matches.reserve(m.voters.size());
  for (const auto& v : m.voters) {
    if (v == self) {
      matches.push_back(self_last);
    } else {
      auto it = peers_.find(v);
      matches.push_back(it == peers_.end() ? Index(0) : it->second.match);
    }
  }
  // The quorum-th largest: that many voters hold at least this index.
  const auto k = m.quorum() - 1;
  std::nth_element(matches.begin(), matches.begin() + static_cast<std::ptrdiff_t>(k), matches.end(),
                   [](Index a, Index b) { return a > b; });
  return matches[k];
}

bool ProgressTracker::quorum_active(const Membership& m, const NodeId& self) const {
  std::size_t active = 0;
  for (const auto& v : m.voters) {
    if (v == self) { ++active; continue; }
    auto it = peers_.find(v);
    if (it != peers_.end() && it->second.recent_active) ++active;
  }
  return active >= m.quorum();
}

bool ProgressTracker::quorum_read_ack(const Membership& m, const NodeId& self, std::uint64_t round) const {
  std::size_t acks = 0;
  for (const auto& v : m.voters) {
    if (v == self) { ++acks; continue; }
    auto it = peers_.find(v);
    if (it != peers_.end() && it->second.read_ack >= round) ++acks;
  }
  return acks >= m.quorum();
}

void ProgressTracker::clear_recent_active() {
  for (auto& [id, p] : peers_) p.recent_active = false;
}

}  // namespace mosaik::groups::raft
