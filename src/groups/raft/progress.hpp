#pragma once
// The leader's view of each member's log (etcd's tracker): how far it matches, what to
// send next, and whether appends are pipelined or probing.
//
//   ProgressTracker t;  t.sync(membership, self, last_index);
//   t.get(peer).on_success(Index(7));   Index c = t.quorum_match(membership, self, last);

#include <cstdint>
#include <deque>
#include <map>

#include "types.hpp"

namespace mosaik::groups::raft {

struct Progress {
  enum class State : std::uint8_t {
    Probe,      // one append in flight until the follower's position is known
    Replicate,  // pipelined appends, at most max_inflight unacknowledged
    StateSync,  // behind the compacted prefix: told to state-sync, waiting for it
    Replay,     // far behind the commit: told to fetch committed entries from the members
  };

  Index match;
  Index next = Index(1);
  State state = State::Probe;
  bool probe_sent = false;      // Probe: an append is in flight, wait before sending another
  bool recent_active = false;   // heard from since the last CheckQuorum round
  std::uint64_t read_ack = 0;   // highest read-index round this member confirmed
  Time last_heard{};            // when it last answered this leader
  std::deque<Index> inflight;   // last index of each unacknowledged pipelined append
  Time replay_deadline{};       // Replay: without news from the fetch by then, appends resume
  bool replay_declined = false;  // its fetch failed once: this leader sends it the entries

  // A success for `index`: advances match/next, frees acknowledged inflight slots.
  bool on_success(Index index);
  // A rejection of the append after `rejected`, with the follower's `hint`. False if stale.
  bool on_reject(Index rejected, Index hint);
  void become_probe();
  void become_replicate();
  void become_replay(Time deadline);
  [[nodiscard]] bool paused(std::size_t max_inflight) const;
};

class ProgressTracker {
 public:
  // Adds members of `m` not tracked yet (next = last + 1), drops those no longer in it.
  void sync(const Membership& m, const NodeId& self, Index last_index, Time now);
  void reset_all(const Membership& m, const NodeId& self, Index last_index, Time now);
  [[nodiscard]] Progress* find(const NodeId& id);
  [[nodiscard]] const Progress* find(const NodeId& id) const;
  [[nodiscard]] std::map<NodeId, Progress>& all() { return peers_; }
  // The highest index a quorum of voters has (the leader counts `self_last` for itself).
  [[nodiscard]] Index quorum_match(const Membership& m, const NodeId& self, Index self_last) const;
  // Whether a quorum of voters was recently active (the leader counts itself).
  [[nodiscard]] bool quorum_active(const Membership& m, const NodeId& self) const;
  // Whether a quorum of voters confirmed read round `round` (the leader counts itself).
  [[nodiscard]] bool quorum_read_ack(const Membership& m, const NodeId& self, std::uint64_t round) const;
  void clear_recent_active();

 private:
  std::map<NodeId, Progress> peers_;  // every member but the leader itself
};

}  // namespace mosaik::groups::raft
