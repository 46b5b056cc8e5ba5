// raft_core: commands committed per second by a 3-node cluster of consensus cores with
// zero-latency in-memory links, batching and pipelining, on one thread. Each node persists
// what its Ready asks (in memory), applies committed entries and compacts its log.
// Prints one JSON object: {"cmds_per_sec": ..., ...}. cmds_per_sec divides by this thread's
// CPU time (the machine is shared); cmds_per_sec_wall by wall time.
#include <chrono>
#include <ctime>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "groups/raft/core.hpp"

namespace {

using namespace std::chrono_literals;
using namespace mosaik::groups;
using namespace mosaik::groups::raft;

struct Node {
  std::unique_ptr<MemoryLogStore> disk;  // the persisted log (pruned with the core's compaction)
  std::unique_ptr<Core> core;
  std::uint64_t applied_bytes = 0;
};

struct Cluster {
  std::vector<Node> nodes;
  std::deque<Message> wire;  // zero latency: delivered in send order
  std::uint64_t committed_cmds = 0;
  Time now{};

  int index_of(const NodeId& id) const {
    for (std::size_t i = 0; i < nodes.size(); ++i)
      if (nodes[i].core->id() == id) return static_cast<int>(i);
    return -1;
  }

  void drain(std::size_t i) {
    Node& n = nodes[i];
    while (n.core->has_ready()) {
      Ready r = n.core->take_ready();
      n.disk->save(r.snapshot, r.hard_state, r.entries);
      if (!r.entries.empty()) n.core->persisted({r.entries.back().term, r.entries.back().index});
      for (auto& m : r.messages) wire.push_back(std::move(m));
      for (const auto& e : r.committed) n.applied_bytes += e.data.size();
      if (!r.committed.empty()) n.core->applied(r.committed.back().index);
      for (const auto& p : r.proposals)
        if (p.kind == ProposalOutcome::Kind::Committed) committed_cmds += p.range.size();
      const auto applied = n.core->applied_index();
      if (applied.value > n.core->log().base().index.value + 50'000) {
        if (auto point = n.core->compact(applied)) n.disk->compact(*point);
      }
    }
  }

  void pump() {
    for (std::size_t guard = 0; guard < 10'000'000 && !wire.empty(); ++guard) {
      Message m = std::move(wire.front());
      wire.pop_front();
      const int to = index_of(m.to);
      if (to < 0) continue;
      nodes[to].core->step(std::move(m));
      drain(static_cast<std::size_t>(to));
    }
  }

  void tick(Time dt) {
    now += dt;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      nodes[i].core->tick(now);
      drain(i);
    }
    pump();
  }
};

// CPU time of this thread: on a shared machine wall time measures the neighbours too.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

int main() {
  constexpr std::size_t kNodes = 3;
  constexpr std::size_t kBatch = 1024;       // commands per proposal
  constexpr std::size_t kPipeline = 8;       // proposals in flight before delivering
  constexpr std::size_t kPayloadBytes = 16;  // one small command
  const auto budget = 3s;

  auto config = ConsensusConfig::builder()
                    .with_heartbeat_interval(50ms)
                    .with_heartbeat_jitter(0ms)
                    .with_election_timeout(300ms)
                    .with_election_timeout_jitter(100ms)
                    .with_bootstrap_delay(0ms)
                    .with_bootstrap_expect(kNodes)
                    .build();
  Cluster cluster;
  std::uint64_t seed = 42;
  for (std::size_t i = 0; i < kNodes; ++i) {
    CoreOptions o;
    o.id = NodeId::from_u64(i + 1);
    o.config = config;
    o.max_entries_per_append = 4096;
    o.max_inflight_appends = 64;
    auto state = std::make_shared<std::uint64_t>(seed + i);
    o.random = [state] {  // splitmix64: deterministic, injected
      std::uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      return z ^ (z >> 31);
    };
    auto disk = std::make_unique<MemoryLogStore>();
    auto core = std::make_unique<Core>(std::move(o), *disk, Time{});
    cluster.nodes.push_back(Node{std::move(disk), std::move(core), 0});
  }
  for (auto& a : cluster.nodes)
    for (auto& b : cluster.nodes)
      if (a.core->id() != b.core->id()) a.core->bond_up(b.core->id());

  // Elect a leader in virtual time.
  int leader = -1;
  for (int t = 0; t < 1000 && leader < 0; ++t) {
    cluster.tick(10ms);
    for (std::size_t i = 0; i < kNodes; ++i)
      if (cluster.nodes[i].core->role() == Role::Leader) leader = static_cast<int>(i);
  }
  if (leader < 0) {
    fmt::print(stderr, "raft_core: no leader elected\n");
    return 1;
  }

  const Bytes payload(kPayloadBytes, 0xAB);
  std::uint64_t request = 1;
  std::uint64_t proposed = 0;
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = thread_cpu_seconds();
  auto elapsed = [&] { return std::chrono::steady_clock::now() - start; };
  while (elapsed() < budget && thread_cpu_seconds() - cpu_start < 2.0) {
    for (std::size_t p = 0; p < kPipeline; ++p) {
      std::vector<Bytes> batch(kBatch, payload);
      cluster.nodes[leader].core->propose(request++, std::move(batch));
      proposed += kBatch;
      cluster.drain(static_cast<std::size_t>(leader));
    }
    cluster.pump();
  }
  const double seconds = std::chrono::duration<double>(elapsed()).count();
  const double cpu_seconds = thread_cpu_seconds() - cpu_start;
  cluster.tick(60ms);  // a heartbeat round lets followers learn the final commit
  const auto& lead = *cluster.nodes[leader].core;
  bool followers_applied = true;
  for (const auto& n : cluster.nodes)
    followers_applied = followers_applied && n.core->applied_index() == lead.commit_index();
  fmt::print(
      "{{\"cmds_per_sec\": {:.0f}, \"cmds_per_sec_wall\": {:.0f}, \"committed_cmds\": {}, \"proposed_cmds\": {}, "
      "\"cpu_seconds\": {:.3f}, \"wall_seconds\": {:.3f}, \"nodes\": {}, \"batch\": {}, \"pipeline\": {}, "
      "\"payload_bytes\": {}, \"followers_applied_all\": {}}}\n",
      static_cast<double>(cluster.committed_cmds) / cpu_seconds, static_cast<double>(cluster.committed_cmds) / seconds,
      cluster.committed_cmds, proposed, cpu_seconds, seconds, kNodes, kBatch, kPipeline, kPayloadBytes,
      followers_applied);
  return cluster.committed_cmds > 0 && followers_applied ? 0 : 1;
}
