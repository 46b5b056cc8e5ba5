#pragma once
// One core driven message by message, without a harness network: for tests that need an
// exact state (a restarted member, a duplicated message) rather than an emergent one.
//
//   auto c = direct::restarted(direct::id(3), hard, entries);
//   c->step(direct::msg(MessageType::Append, direct::id(1), c->id(), Term(2)));
//   Ready r = c->take_ready();   // already persisted and applied, as a synchronous shell would

#include <algorithm>
#include <memory>
#include <vector>

#include "groups/raft/core.hpp"

namespace mosaik::groups::raft::direct {

inline NodeId id(std::uint64_t n) { return NodeId::from_u64(n); }

struct StoreHolder {
  MemoryLogStore store;
};

// A core that owns its in-memory store and acknowledges every Ready at once: what it hands
// out is persisted and applied before take_ready() returns.
class OwnedCore : private StoreHolder, public Core {
 public:
  OwnedCore(CoreOptions options, MemoryLogStore disk, Time now)
      : StoreHolder{std::move(disk)}, Core(std::move(options), store, now) {}
  Ready take_ready() {
    Ready r = Core::take_ready();
    store.save(r.snapshot, r.hard_state, r.entries);
    if (!r.entries.empty()) persisted({r.entries.back().term, r.entries.back().index});
    if (!r.committed.empty()) applied(r.committed.back().index);
    return r;
  }
  [[nodiscard]] const MemoryLogStore& disk() const { return store; }
};

inline constexpr std::uint64_t kIncarnation = 0x1234567;

// The founding membership {1, 2, 3}, sorted as the core requires.
inline Membership three_voters() {
  Membership m{{id(1), id(2), id(3)}, {}};
  std::sort(m.voters.begin(), m.voters.end());
  return m;
}

inline ConsensusConfig config() {
  using namespace std::chrono_literals;
  return ConsensusConfig::builder()
      .with_heartbeat_interval(50ms)
      .with_heartbeat_jitter(0ms)
      .with_election_timeout(300ms)
      .with_election_timeout_jitter(100ms)
      .with_bootstrap_delay(200ms)
      .with_forward_timeout(500ms)
      .with_query_timeout(500ms)
      .with_bootstrap_expect(3)
      .with_member_timeout(2s)
      .build();
}

// A member of {1, 2, 3} (incarnation kIncarnation) restarted from `hard` and `entries`.
inline std::unique_ptr<OwnedCore> restarted(NodeId self, HardState hard, std::vector<Entry> entries,
                                       std::size_t max_entries_per_append = 1024) {
  CoreOptions o;
  o.id = self;
  o.config = config();
  o.max_entries_per_append = max_entries_per_append;
  auto state = std::make_shared<std::uint64_t>(11);
  o.random = [state] { return (*state = *state * 6364136223846793005ull + 1442695040888963407ull) >> 11; };
  hard.incarnation = kIncarnation;
  MemoryLogStore disk(hard, SnapshotPoint{{}, three_voters()}, std::move(entries));
  return std::make_unique<OwnedCore>(std::move(o), std::move(disk), Time{});
}

inline Message msg(MessageType type, NodeId from, NodeId to, Term term) {
  Message m;
  m.type = static_cast<std::uint8_t>(type);
  m.incarnation = kIncarnation;
  m.from = from;
  m.to = to;
  m.term = term;
  return m;
}

inline Entry command(Term term, Index index, std::uint8_t byte) {
  return Entry{term, index, static_cast<std::uint8_t>(EntryKind::Command), Bytes{byte}};
}

}  // namespace mosaik::groups::raft::direct

namespace mosaik::groups::raft::direct {

// Makes `core` leader of the next term: its election timeout passes at `now`, and every
// other voter grants its pre-vote and vote. Returns the messages it sent as leader.
inline std::vector<Message> elect(OwnedCore& core, Time now) {
  core.tick(now);
  auto r = core.take_ready();
  for (const auto& m : r.messages) {
    if (m.message_type() != MessageType::PreVote) continue;
    auto grant = msg(MessageType::PreVoteResponse, m.to, core.id(), m.term);
    core.step(grant);
  }
  r = core.take_ready();
  for (const auto& m : r.messages) {
    if (m.message_type() != MessageType::Vote) continue;
    auto grant = msg(MessageType::VoteResponse, m.to, core.id(), m.term);
    core.step(grant);
  }
  return core.take_ready().messages;
}

}  // namespace mosaik::groups::raft::direct
