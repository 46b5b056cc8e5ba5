// bench/gossip_sim: the gossip cores (HyParView membership + Plumtree broadcast, the code
// discovery runs) with 1 000 and 10 000 nodes, in the deterministic simulator of the tests
// (tests/discovery/gossip_sim.hpp: virtual time, 2-20 ms per message, 100 ms ticks). Every
// node joins through node 0; then:
//  - three urgent broadcasts from different nodes, 10 s apart: `rounds` is the most hops one
//    took to reach a node (`rounds_each` per broadcast), `spread_s` the virtual time until
//    the last node had it (`spread_each_s`), `reached_all` whether every node delivered each
//    exactly once;
//  - steady state: every node re-announces a 300-byte payload every 15 s (the seed's
//    announce interval, random phases); `messages_per_node_s` counts the messages a node
//    receives per virtual second (batched: Plumtree sends a neighbour at most one Gossip and
//    one IHave per send interval, so it stays flat while the payloads per message grow
//    with N).
// Prints one JSON object per N, with the wall time the run took.
// Usage: gossip_sim [N ...]   (default 1000 10000)
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "gossip_sim.hpp"

namespace {

using namespace mosaik::discovery::gossip;
using namespace mosaik::discovery::gossip::sim;
using namespace std::chrono_literals;

constexpr Instant kJoinStagger = 2ms;
constexpr Instant kSettle = 10s;
constexpr Instant kAnnounceInterval = 15s;
constexpr std::size_t kPayloadBytes = 300;  // about one signed peer entry
constexpr Instant kWarmUp = 4s;             // announcing before the window opens
constexpr Instant kWindow = 3s;

double seconds(Instant t) { return std::chrono::duration<double>(t).count(); }


void run(std::size_t n) {
  const auto wall_start = std::chrono::steady_clock::now();
  // In memory rather than through the codec: decoding checks every PeerId as an Ed25519
  // point, which would dominate (the codec has its own tests).
  GossipSim sim({.nodes = n, .seed = 0x5eed0000 + n, .through_codec = false});
  sim.join_all_through_node0(kJoinStagger);
  sim.run_until(kJoinStagger * static_cast<std::int64_t>(n) + kSettle);
  const bool connected = sim.overlay_connected();

  std::uint16_t rounds = 0;
  std::string rounds_each;
  std::string spread_each;
  Instant spread{0};
  bool reached_all = true;
  for (std::size_t k = 0; k < 3; ++k) {
    const MessageId id = sim.broadcast_from((k * n) / 3 + 1, /*urgent=*/true);
    sim.run_until(sim.now() + 10s);
    reached_all = reached_all && sim.reached(id) == n && sim.max_deliveries(id) == 1;
    rounds = std::max(rounds, sim.max_round(id));
    spread = std::max(spread, sim.spread_time(id));
    rounds_each += fmt::format("{}{}", k == 0 ? "" : ", ", sim.max_round(id));
    spread_each += fmt::format("{}{:.2f}", k == 0 ? "" : ", ", seconds(sim.spread_time(id)));
  }

  sim.start_announcing(kAnnounceInterval, kPayloadBytes);
  sim.run_until(sim.now() + kWarmUp);
  sim.reset_message_count();
  const Instant window_start = sim.now();
  sim.run_until(window_start + kWindow);
  const double per_node = static_cast<double>(n) * seconds(kWindow);
  const double messages_per_node_s = static_cast<double>(sim.received_messages()) / per_node;

  fmt::print(R"({{"nodes": {}, "overlay_connected": {}, "max_active_view": {}, "rounds": {}, )"
             R"("rounds_each": [{}], "spread_s": {:.2f}, "spread_each_s": [{}], "reached_all": {}, "messages_per_node_s": {:.2f}, "wall_s": {:.1f}}})"
             "\n",
             n, connected, sim.max_active_view(), rounds, rounds_each, seconds(spread), spread_each, reached_all,
             messages_per_node_s,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(static_cast<std::size_t>(std::atoi(argv[i])));
  if (sizes.empty()) sizes = {1000, 10000};
  for (auto n : sizes) run(n);
  return 0;
}
