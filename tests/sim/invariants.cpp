// Per-step invariants of the simulated cluster (issue 19), checked on every Ready and every
// delivery with the god's-eye view of every disk:
//   - a granted vote is on disk before its reply leaves, a candidate's own vote before its
//     requests leave;
//   - once every write handed out is synced, the disk equals the core's log and hard state;
//   - one vote per voter per term;
//   - when a leader's commit advances, each newly committed entry is on a quorum of the
//     voters' disks, and the new commit index holds an entry of the leader's term (§5.4.2);
//   - nothing a leader committed is ever truncated from any disk;
//   - a pre-vote never changes the voter's term or vote, and is not granted while the voter
//     follows a live leader (PreVote with CheckQuorum, Ongaro's thesis §9.6).
#include <fmt/format.h>

#include "cluster.hpp"

namespace mosaik::sim {

using groups::Term;
using groups::raft::Entry;
using groups::raft::HardState;
using groups::raft::MessageType;
using groups::raft::Ready;
using groups::raft::Role;

namespace {
std::int64_t ms(Time t) { return std::chrono::duration_cast<std::chrono::milliseconds>(t).count(); }
}  // namespace

bool SimCluster::disk_holds(const SimDisk& d, Index i, Term t) const {
  const auto base = d.log.base().cursor;
  if (i < base.index) return true;  // compacted: only applied, hence committed, entries are
  if (i == base.index) return base.term == t;
  return d.log.term(i) == t;
}

std::optional<Term> SimCluster::committed_term(std::uint64_t incarnation, Index i) const {
  auto it = committed_.find(incarnation);
  if (it == committed_.end() || i.is_zero() || i.value > it->second.size()) return std::nullopt;
  return it->second[i.value - 1];
}

void SimCluster::check_before_persist(std::uint32_t slot, const Ready& r) {
  const Node& n = nodes_[slot];
  const auto inc = n.disk.log.hard_state().incarnation;
  auto lost = [&](const Entry& e, const char* how) {
    auto t = committed_term(inc, e.index);
    if (t && *t == e.term)
      checker_.violation(fmt::format("{}ms n{}: committed entry {}@{} {} on disk", ms(now_), slot, e.index, e.term, how));
  };
  if (r.snapshot) {
    const auto at = r.snapshot->cursor;
    const bool keeps = disk_holds(n.disk, at.index, at.term) && at.index > n.disk.log.base().cursor.index;
    if (!keeps)
      for (const auto& e : n.disk.log.stored())
        if (e.index > at.index) lost(e, "dropped by a state sync");
  }
  if (!r.entries.empty()) {
    const auto first = r.entries.front().index;
    for (const auto& e : n.disk.log.stored()) {
      if (e.index < first) continue;
      const auto off = e.index.value - first.value;
      if (off < r.entries.size() && r.entries[off].term == e.term) continue;  // rewritten as it was
      lost(e, "truncated");
    }
  }
}

void SimCluster::check_disk_equals_core(std::uint32_t slot) {
  Node& n = nodes_[slot];
  if (!n.core) return;
  const Core& core = *n.core;
  // Hard state, base and the log's ends (check_disks_fully compares every entry, periodically).
  if (!(n.disk.log.hard_state() == core.hard_state()))
    checker_.violation(fmt::format("{}ms n{}: disk hard state (term {} vote {}) differs from the core's (term {} vote {})",
                                   ms(now_), slot, n.disk.log.hard_state().term, n.disk.log.hard_state().vote.has_value(), core.term(),
                                   core.hard_state().vote.has_value()));
  const auto& log = core.log();
  const auto disk_last = n.disk.log.last();
  if (n.disk.log.base().cursor != log.base() || disk_last != log.last())
    checker_.violation(fmt::format("{}ms n{}: disk holds {}..{} but the core's log is {}..{}", ms(now_), slot,
                                   n.disk.log.base().cursor, disk_last, log.base(), log.last()));
}

void SimCluster::check_leaving(std::uint32_t slot, const std::vector<groups::raft::Message>& messages) {
  const Node& n = nodes_[slot];
  for (const auto& m : messages) {
    const auto type = m.message_type();
    if (type == MessageType::Vote) {
      // A candidate counted its own vote: a request leaves only once that vote (or a later
      // term) is on its disk, or a crash could let it vote again in the term.
      const auto& h = n.disk.log.hard_state();
      if (h.term < m.term || (h.term == m.term && h.vote != m.from))
        checker_.violation(fmt::format("{}ms n{}: campaign for term {} leaves before its own vote is on disk (disk: term {})",
                                       ms(now_), slot, m.term, h.term));
      auto [it, inserted] = votes_.emplace(std::make_tuple(m.incarnation, m.term.value, m.from), m.from);
      if (!inserted && it->second != m.from)
        checker_.violation(fmt::format("{}ms n{}: campaigns in term {} after voting for {}", ms(now_), slot, m.term,
                                       it->second));
    } else if (type == MessageType::VoteResponse && !m.reject) {
      const auto& h = n.disk.log.hard_state();
      if (h.incarnation != m.incarnation || h.term != m.term || h.vote != m.to)
        checker_.violation(fmt::format("{}ms n{}: vote for {} in term {} leaves before it is on disk", ms(now_), slot,
                                       m.to, m.term));
      auto [it, inserted] = votes_.emplace(std::make_tuple(m.incarnation, m.term.value, m.from), m.to);
      if (!inserted && it->second != m.to)
        checker_.violation(fmt::format("{}ms n{}: second vote in term {} ({} after {})", ms(now_), slot, m.term, m.to,
                                       it->second));
    }
  }
}

// Judged when the core decides (take_ready), not when a late sync lets the answer leave.
void SimCluster::check_pre_vote_grants(std::uint32_t slot, const std::vector<groups::raft::Message>& messages) {
  Node& n = nodes_[slot];
  const Core& core = *n.core;
  for (const auto& m : messages) {
    if (m.message_type() != MessageType::PreVoteResponse || m.reject) continue;
    const auto& c = n.contact;
    if (c.valid && core.leader() == c.from && core.term() == c.term &&
        n.core_now - c.at < config_.consensus.election_timeout)
      checker_.violation(fmt::format("{}ms n{}: pre-vote granted to {} while following live leader {} (heard {}ms ago)",
                                     ms(now_), slot, m.to, c.from, ms(n.core_now - c.at)));
  }
}

void SimCluster::check_commit(std::uint32_t slot) {
  Node& n = nodes_[slot];
  const Core& core = *n.core;
  const auto commit = core.commit_index();
  if (core.role() == Role::Leader && n.watch.term == core.term() && commit > n.watch.commit) {
    const auto& log = core.log();
    const auto& voters = core.membership().voters;
    auto& record = committed_[core.incarnation()];
    for (auto i = n.watch.commit.next(); i <= commit; i = i.next()) {
      if (!log.holds(i)) continue;
      const auto t = log.at(i).term;
      // A voter that lost its disk or left for good cannot be judged: it may have acknowledged
      // the entry before (losing a disk is a fault beyond Raft's model, bounded by the nemesis).
      std::size_t on_disk = 0, gone = 0;
      for (const auto& v : voters) {
        auto s = slot_of(v);
        if (!s) {
          ++gone;
        } else if (disk_holds(nodes_[*s].disk, i, t)) {
          ++on_disk;
        }
      }
      if (on_disk + gone < core.membership().quorum())
        checker_.violation(fmt::format("{}ms n{}: committed {}@{} is on {} of {} voters' disks ({} gone)", ms(now_),
                                       slot, i, t, on_disk, voters.size(), gone));
      if (record.size() < i.value) record.resize(i.value);
      record[i.value - 1] = t;
    }
    if (log.term_at(commit) != core.term())
      checker_.violation(fmt::format("{}ms n{}: leader of term {} committed {} of term {} by counting replicas (5.4.2)",
                                     ms(now_), slot, core.term(), commit, log.term_at(commit).value_or(Term(0))));
  }
  n.watch = {core.term(), commit};
}

void SimCluster::check_pre_vote_kept_state(std::uint32_t slot, const HardState& before) {
  const Node& n = nodes_[slot];
  if (!n.core) return;
  const auto& after = n.core->hard_state();
  if (after.incarnation != before.incarnation) return;  // an unbound node joined the group
  if (after.term != before.term || after.vote != before.vote)
    checker_.violation(fmt::format("{}ms n{}: a pre-vote moved its term {} -> {}", ms(now_), slot, before.term, after.term));
}

void SimCluster::note_leader_contact(std::uint32_t slot, MessageType type, const NodeId& from, Term term) {
  Node& n = nodes_[slot];
  if (!n.core) return;
  if (type != MessageType::Append && type != MessageType::Heartbeat && type != MessageType::StateSync &&
      type != MessageType::Replay)
    return;
  if (n.core->leader() == from && n.core->term() == term) n.contact = {true, from, term, n.core_now};
}

void SimCluster::check_disks_fully() {
  for (std::uint32_t s = 0; s < nodes_.size(); ++s) {
    const Node& n = nodes_[s];
    if (!n.core || n.disk.has_unsynced()) continue;  // the core is ahead of its disk until the syncs
    const auto& log = n.core->log();
    if (n.disk.log.stored().size() != log.last_index().value - log.base().index.value) continue;  // reported per step
    for (const auto& e : n.disk.log.stored()) {
      if (!log.holds(e.index) || !(log.at(e.index) == e)) {
        checker_.violation(fmt::format("{}ms n{}: disk entry {}@{} differs from the core's log", ms(now_), s, e.index,
                                       e.term));
        break;
      }
    }
  }
}

}  // namespace mosaik::sim
