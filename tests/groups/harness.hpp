#pragma once
// A few cores wired together in virtual time for unit tests: messages are delivered in
// order unless a link is cut; every Ready is persisted in memory and applied.

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "groups/raft/core.hpp"

namespace mosaik::groups::raft::test {

using namespace std::chrono_literals;

inline ConsensusConfig fast_config(std::uint32_t expect) {
  return ConsensusConfig::builder()
      .with_heartbeat_interval(50ms)
      .with_heartbeat_jitter(0ms)
      .with_election_timeout(300ms)
      .with_election_timeout_jitter(100ms)
      .with_bootstrap_delay(200ms)
      .with_forward_timeout(500ms)
      .with_query_timeout(500ms)
      .with_bootstrap_expect(expect)
      .with_member_timeout(2s)
      .build();
}

struct Harness {
  struct Node {
    std::unique_ptr<MemoryLogStore> disk;  // every Ready is persisted here before its messages leave
    std::unique_ptr<Core> core;
    std::vector<Ready> readies;
    std::vector<Entry> applied;
    std::vector<ProposalOutcome> proposals;
    std::vector<ReadOutcome> reads;
  };
  std::map<NodeId, Node> nodes;
  std::deque<Message> wire;
  std::set<std::pair<NodeId, NodeId>> cut;
  Time now{};
  std::uint64_t seed = 7;

  std::function<bool(const Message&)> drop;  // a test's message filter
  std::function<void(CoreOptions&)> tune;    // a test's options for every core it adds

  NodeId add(std::uint64_t n, ConsensusConfig config, LeadershipPreference pref = LeadershipPreference::normal(),
             MemoryLogStore state_on_disk = {}) {
    CoreOptions o;
    o.id = NodeId::from_u64(n);
    o.config = config;
    o.preference = pref;
    auto state = std::make_shared<std::uint64_t>(seed + n);
    o.random = [state] { return (*state = *state * 6364136223846793005ull + 1442695040888963407ull) >> 11; };
    if (tune) tune(o);
    const auto id = o.id;
    auto& node = nodes[id];
    node.core.reset();
    node.disk = std::make_unique<MemoryLogStore>(std::move(state_on_disk));
    node.core = std::make_unique<Core>(std::move(o), *node.disk, now);
    return id;
  }
  void bond_all() {
    for (auto& [a, na] : nodes)
      for (auto& [b, nb] : nodes)
        if (a != b) na.core->bond_up(b);
  }
  Core& core(const NodeId& id) { return *nodes.at(id).core; }
  void isolate(const NodeId& id) {
    for (auto& [other, n] : nodes)
      if (other != id) cut.insert({id, other}), cut.insert({other, id});
  }
  void heal() { cut.clear(); }

  void drain(const NodeId& id) {
    auto& n = nodes.at(id);
    while (n.core->has_ready()) {
      Ready r = n.core->take_ready();
      n.disk->save(r.snapshot, r.hard_state, r.entries);
      if (!r.entries.empty()) n.core->persisted({r.entries.back().term, r.entries.back().index});
      for (auto& m : r.messages) wire.push_back(m);
      for (auto& e : r.committed) n.applied.push_back(e);
      if (!r.committed.empty()) n.core->applied(r.committed.back().index);
      for (auto& p : r.proposals) n.proposals.push_back(p);
      for (auto& rd : r.reads) n.reads.push_back(rd);
      n.readies.push_back(std::move(r));
    }
  }
  void deliver_all() {
    for (int guard = 0; guard < 100000 && !wire.empty(); ++guard) {
      Message m = std::move(wire.front());
      wire.pop_front();
      if (cut.contains({m.from, m.to}) || !nodes.contains(m.to) || (drop && drop(m))) continue;
      const auto to = m.to;
      nodes.at(to).core->step(std::move(m));
      drain(to);
    }
  }
  // Advances virtual time in 10 ms ticks, delivering everything between ticks.
  void run_for(Time d) {
    const Time end = now + d;
    while (now < end) {
      now += 10ms;
      for (auto& [id, n] : nodes) {
        n.core->tick(now);
        drain(id);
      }
      deliver_all();
    }
  }
  std::optional<NodeId> leader() {
    for (auto& [id, n] : nodes)
      if (n.core->role() == Role::Leader) return id;
    return std::nullopt;
  }
};

}  // namespace mosaik::groups::raft::test
