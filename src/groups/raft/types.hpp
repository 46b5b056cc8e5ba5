#pragma once
// Plain data of the consensus core: log entries, the durable hard state, membership.
//
//   Entry e{Term(3), Index(7), EntryKind::Command, payload};
//   Membership m{{a, b, c}, {d}};  m.quorum() == 2;  m.is_voter(a);

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include <msgpack.hpp>

#include <mosaik/groups/index.hpp>

#include <mosaik/primitives/shared_bytes.hpp>
#include <mosaik/primitives/wire.hpp>

#include "node_id.hpp"

namespace mosaik::groups::raft {

using Bytes = wire::Bytes;
// An entry's payload: shared, not copied, between the log, appends and the committed run.
using Payload = wire::SharedBytes;
// Virtual or real monotonic time, passed in by the shell: the core reads no clock.
using Time = std::chrono::nanoseconds;

enum class EntryKind : std::uint8_t {
  Command = 0,     // an application command (opaque bytes)
  Noop = 1,        // a new leader's first entry, so it can commit in its own term
  Membership = 2,  // the group's new membership (msgpack of Membership)
};
inline constexpr std::uint8_t kMaxEntryKind = 2;

struct Entry {
  Term term;
  Index index;
  std::uint8_t kind = 0;  // EntryKind; a byte on the wire so bad values are checked, not cast
  Payload data;

  [[nodiscard]] EntryKind entry_kind() const { return static_cast<EntryKind>(kind); }
  friend bool operator==(const Entry&, const Entry&) = default;
  MSGPACK_DEFINE(term, index, kind, data);
};

// Voters decide elections and commits; learners replicate the log and do not count.
struct Membership {
  std::vector<NodeId> voters;    // sorted, unique
  std::vector<NodeId> learners;  // sorted, unique, disjoint from voters

  [[nodiscard]] bool is_voter(const NodeId& id) const {
    return std::binary_search(voters.begin(), voters.end(), id);
  }
  [[nodiscard]] bool is_learner(const NodeId& id) const {
    return std::binary_search(learners.begin(), learners.end(), id);
  }
  [[nodiscard]] bool contains(const NodeId& id) const { return is_voter(id) || is_learner(id); }
  [[nodiscard]] std::size_t quorum() const { return voters.size() / 2 + 1; }
  [[nodiscard]] bool empty() const { return voters.empty() && learners.empty(); }
  // Sorted, unique, disjoint: what a decoded membership must satisfy before use.
  [[nodiscard]] bool well_formed() const;

  friend bool operator==(const Membership&, const Membership&) = default;
  MSGPACK_DEFINE(voters, learners);
};

// An incarnation this node joined but left again before holding a single entry of it:
// its term and vote there are remembered so that rejoining it never votes twice.
struct AbandonedIncarnation {
  std::uint64_t incarnation = 0;
  Term term;
  std::optional<NodeId> vote;
  friend bool operator==(const AbandonedIncarnation&, const AbandonedIncarnation&) = default;
  MSGPACK_DEFINE(incarnation, term, vote);
};
inline constexpr std::size_t kMaxAbandonedIncarnations = 8;

// What must be durable before any message of the same Ready is sent.
struct HardState {
  Term term;
  std::optional<NodeId> vote;
  std::uint64_t incarnation = 0;  // 0 before any group; fixed once the log holds an entry
  std::vector<AbandonedIncarnation> abandoned;

  friend bool operator==(const HardState&, const HardState&) = default;
  MSGPACK_DEFINE(term, vote, incarnation, abandoned);
};

// A point the log starts after (compaction or state sync): its cursor and the membership
// in force there, since the entries that defined it are gone.
struct SnapshotPoint {
  Cursor cursor;
  Membership membership;
  friend bool operator==(const SnapshotPoint&, const SnapshotPoint&) = default;
  MSGPACK_DEFINE(cursor, membership);
};

enum class Role : std::uint8_t { Follower, PreCandidate, Candidate, Leader };

}  // namespace mosaik::groups::raft
