// Self-managed membership, decided by the leader one change at a time through the log:
// promote the leader itself if it was elected as a learner, remove a member that departed,
// drop a silent learner, promote a caught-up learner, drop a voter silent past
// member_timeout (keeping at least three, and a quorum we hear), add a bonded non-member as
// a learner.
// A change is proposed only once the previous one committed and the leader committed an
// entry of its own term (the single-server change rule with its known fix).
#include <algorithm>

#include "core.hpp"
#include "membership_codec.hpp"

namespace mosaik::groups::raft {

namespace {
constexpr std::size_t kMinVotersAfterRemoval = 3;
}  // namespace

void Core::bond_up(const NodeId& peer, bool observer) {
  if (peer == options_.id) return;
  auto& b = bonds_[peer];
  b.up = true;
  b.observer = observer;
  b.departed = false;
  b.unresponsive = false;
}

void Core::bond_down(const NodeId& peer) {
  if (peer == options_.id) return;
  auto& b = bonds_[peer];
  if (b.up || b.down_since == Time{}) b.down_since = now_;
  b.up = false;
}

void Core::peer_departed(const NodeId& peer) {
  if (peer == options_.id) return;
  auto& b = bonds_[peer];
  if (b.up || b.down_since == Time{}) b.down_since = now_;
  b.up = false;
  b.departed = true;
}

void Core::maybe_change_membership() {
  const bool previous_pending = configs_.last_change() > commit_ && !planted(PlantedBug::OverlappingMembership);
  if (previous_pending || !committed_in_current_term()) return;
  const Membership& current = membership();
  const auto timeout = options_.config.member_timeout;

  auto gone = [&](const NodeId& member) {
    if (member == options_.id) return false;
    // Bonded but silent (paused, or stranded in another incarnation) counts as down too.
    if (const auto* pr = progress_.find(member); pr && now_ - pr->last_heard >= timeout) {
      bonds_[member].unresponsive = true;
      return true;
    }
    auto it = bonds_.find(member);
    if (it == bonds_.end()) return now_ - leader_since_ >= timeout;  // never bonded to us
    const auto& b = it->second;
    return !b.up && (b.departed || now_ - std::max(b.down_since, leader_since_) >= timeout);
  };
  auto departed = [&](const NodeId& member) {
    auto it = bonds_.find(member);
    return member != options_.id && it != bonds_.end() && !it->second.up && it->second.departed;
  };
  auto without = [&](const NodeId& member) {
    Membership next = current;
    std::erase(next.voters, member);
    std::erase(next.learners, member);
    return next;
  };
  // 0. A leader elected as a learner (decision 0402) becomes a voter first: it holds the
  //    newest log, and adding a live voter keeps every quorum reachable.
  if (current.is_learner(options_.id)) {
    Membership next = current;
    std::erase(next.learners, options_.id);
    next.voters.insert(std::upper_bound(next.voters.begin(), next.voters.end(), options_.id), options_.id);
    return append_membership(std::move(next));
  }
  // 1. A member that said goodbye leaves at once (but never the last voter).
  for (const auto& list : {&current.voters, &current.learners})
    for (const auto& member : *list)
      if (departed(member) && (current.voters.size() > 1 || !current.is_voter(member)))
        return append_membership(without(member));
  // 2. A silent learner leaves; it counts for no quorum.
  for (const auto& learner : current.learners)
    if (gone(learner)) return append_membership(without(learner));
  // 3. A caught-up learner becomes a voter before any silent voter is dropped, so a
  //    replacement restores fault tolerance first. An observer (a collection's reader) stays a
  //    learner: it never counts in a quorum, so its crash never stalls the writers.
  for (const auto& learner : current.learners) {
    const auto* pr = progress_.find(learner);
    auto bond = bonds_.find(learner);
    if (!pr || !pr->recent_active || pr->match < commit_ || bond == bonds_.end() || !bond->second.up ||
        bond->second.observer)
      continue;
    Membership next = current;
    std::erase(next.learners, learner);
    next.voters.insert(std::upper_bound(next.voters.begin(), next.voters.end(), learner), learner);
    return append_membership(std::move(next));
  }
  // 4. A silent voter leaves only while at least kMinVotersAfterRemoval remain: dropping
  //    the third voter buys no fault tolerance and bars its return (docs/decisions/0100).
  //    And only if the voters we hear from now are a quorum without it: otherwise the
  //    removal cannot commit, and since it takes effect when appended, whoever holds it
  //    could never again be elected once the silent voter is back (decision 0402,
  //    SIM_SEED=1593530860: a partitioned voter removed beside two lost identities).
  auto responsive = [&](const NodeId& member) {
    if (member == options_.id) return true;
    const auto* pr = progress_.find(member);
    return pr && now_ - pr->last_heard < options_.config.election_timeout;
  };
  auto removal_can_commit = [&](const Membership& next) {
    return static_cast<std::size_t>(std::count_if(next.voters.begin(), next.voters.end(), responsive)) >=
           next.quorum();
  };
  if (current.voters.size() > kMinVotersAfterRemoval)
    for (const auto& voter : current.voters)
      if (gone(voter) && removal_can_commit(without(voter))) return append_membership(without(voter));
  for (const auto& [peer, bond] : bonds_) {
    if (!bond.up || bond.unresponsive || current.contains(peer)) continue;
    Membership next = current;
    next.learners.insert(std::upper_bound(next.learners.begin(), next.learners.end(), peer), peer);
    return append_membership(std::move(next));
  }
}

void Core::append_membership(Membership next) {
  append_local(Entry{hard_.term, log_.last_index().next(), static_cast<std::uint8_t>(EntryKind::Membership),
                     encode_membership(next)});
  broadcast_append();
  maybe_commit();
}

void Core::on_membership_entry(const Entry& e) {
  auto m = decode_membership(e.data);
  if (!m) return;  // validate() refuses such entries before they reach the log
  configs_.record(e.index, std::move(*m));
  if (role_ == Role::Leader) progress_.sync(membership(), options_.id, e.index.prev(), now_);
}

}  // namespace mosaik::groups::raft
