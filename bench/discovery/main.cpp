// bench/discovery: how fast N nodes, each given only the first node as bootstrap, come to
// hold every entry, how many connections a node keeps, and how much announce traffic a
// node receives once nothing changes (issue 5). Prints one JSON object per N:
//   {"nodes":N,"converge_s":…,"max_connections":…,"announces_per_node_s":…,
//    "cpu_s_per_node_s":… (process CPU over the steady window / nodes / seconds)}
// Every node runs in this process on 127.0.0.1; the nodes share one event-loop thread per
// core (`event_loops`; `--loops=0`: a thread each).
//
// Settings: the seed's announce_interval (15 s, jitter 0.5; `--interval=S` to change it),
// measured over 4 s after 3 s of settling (packets_per_node_s: QUIC packets a node receives
// a second then, keep-alives and acknowledgements included); max_connections and
// mean_connections are sampled in that window (the largest is the bootstrap node, whose one-off links from the mass join
// close as the others' refill requests back off), max_connections_joining while the nodes
// join (every joiner contacts the bootstrap node) with busiest_joining saying whose and
// what discovery held of them; graceful_departure_window 100 ms so
// tearing down many nodes stays quick.
// join_cpu_s is the process CPU from the first node's start to convergence;
// bootstrap_busy_refusals the connections the first node refused as busy until then. When
// N nodes do not converge within 20 s, stderr lists the nodes that miss entries or whose
// entry is missing somewhere. Node i binds 127.0.x.y of its own (see loopback_of).
// Usage: discovery [--interval=S] [--loops=K] [--progress] [N ...]   (default 16 64 256); `--progress`
// prints how far the join got every 500 ms on stderr. MOSAIK_LOG sets the log levels
// (default off), e.g. MOSAIK_LOG=discovery=warn.
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "mosaik/network/network.hpp"
#include "mosaik/primitives/async/block_on.hpp"
#include "mosaik/primitives/async/timeout.hpp"
#include "mosaik/primitives/log.hpp"
#include "service.hpp"

namespace {

using namespace mosaik;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The seed's default; `--interval=S` changes it. Every node verifies every other node's
// re-announcement, so one process of N nodes verifies N^2 / interval signatures a second:
// at 1 s, 256 nodes need more than this machine's two cores for that alone.
std::chrono::milliseconds announce_interval = 15s;
// `--progress`: every 500 ms while the nodes join, one line on stderr with how far they got.
bool print_progress = false;
constexpr auto kSettle = 3s;  // one-off join and shuffle links close after 2 s idle
constexpr auto kSteadyWindow = 4s;
constexpr auto kConvergeLimit = 20s;

// User and system CPU of this whole process (every node's threads).
double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return secs(usage.ru_utime) + secs(usage.ru_stime);
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

discovery::Config::Builder bench_discovery() {
  return discovery::Config::builder()
      .with_announce_interval(announce_interval)
      .with_announce_jitter(0.5)
      .with_graceful_departure_window(100ms)
      .no_auto_bootstrap();
}

// Node i on 127.0.x.y of its own, as if each were its own machine: QUIC's per-source
// handshake bound (48 pending from one address) otherwise stands between the bootstrap
// node and a mass join from one address, which no deployment of many machines has.
asio::ip::address loopback_of(std::size_t i) {
  return asio::ip::make_address_v4(static_cast<asio::ip::address_v4::uint_type>(
      (127U << 24) | ((i / 254) << 8) | (i % 254 + 1)));
}

// The event loops the nodes run on: as many as the machine has cores, node i on loop
// i mod K (`--loops=K`; `--loops=0` gives every node its own thread, as a lone node has).
// 257 threads on two cores spend about half the process's CPU on the kernel's wake-ups
// and task switches (decision 0220), which no deployment of one node per machine pays.
std::size_t event_loops = std::max(1U, std::thread::hardware_concurrency());

class EventLoops {
 public:
  explicit EventLoops(std::size_t count) {
    for (std::size_t k = 0; k < count; ++k) {
      contexts_.push_back(std::make_unique<asio::io_context>(1));
      work_.emplace_back(contexts_.back()->get_executor());
      threads_.emplace_back([ctx = contexts_.back().get()] { ctx->run(); });
    }
  }
  EventLoops(const EventLoops&) = delete;
  EventLoops& operator=(const EventLoops&) = delete;
  // After the nodes are gone: each loop runs their shutdowns to the end, then returns.
  ~EventLoops() {
    work_.clear();
    for (auto& t : threads_) t.join();
  }
  // Node i's executor; none when every node runs its own thread.
  std::optional<asio::any_io_executor> executor_for(std::size_t i) const {
    if (contexts_.empty()) return std::nullopt;
    return contexts_[i % contexts_.size()]->get_executor();
  }

 private:
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
};

asio::awaitable<Network> start_node(const EventLoops& loops, NetworkId net,
                                    discovery::Config::Builder disc, std::size_t i) {
  const std::set<SocketAddr> loopback = {SocketAddr(loopback_of(i), 0)};
  auto builder = Network::builder(net);
  builder.with_addresses(loopback).with_relay_mode(RelayMode::kDisabled).with_discovery(std::move(disc));
  if (auto executor = loops.executor_for(i)) builder.with_executor(*executor);
  auto built = co_await builder.build();
  if (!built) throw std::runtime_error("node failed to start: " + built.error().message);
  co_return std::move(*built);
}

std::uint64_t frames_received(const std::vector<Network>& nodes) {
  std::uint64_t total = 0;
  for (const auto& n : nodes) total += n.discovery().service()->announce_frames_received();
  return total;
}

// UDP datagrams every node received (QUIC packets: gossip, acknowledgements, keep-alives).
std::uint64_t packets_received(const std::vector<Network>& nodes) {
  std::uint64_t total = 0;
  for (const auto& n : nodes) total += n.local().endpoint().traffic().packets_in;
  return total;
}

// Which entries the nodes lack when they did not converge: whether a few nodes' entries
// spread to almost nobody, or many nodes each miss a few.
void report_missing(const std::vector<Network>& nodes) {
  std::map<PeerId, std::size_t> known_by;
  std::size_t incomplete = 0;
  std::size_t smallest = nodes.size();
  for (const auto& n : nodes) {
    const auto catalog = n.discovery().catalog();
    if (catalog.size() + 1 < nodes.size()) ++incomplete;
    smallest = std::min(smallest, catalog.size());
    for (const auto& [id, entry] : catalog) ++known_by[id];
  }
  std::size_t poorly_known = 0;
  for (const auto& n : nodes) {
    if (known_by[n.local().id()] + 1 < nodes.size()) ++poorly_known;
  }
  fmt::print(stderr, "not converged: {} nodes incomplete (smallest catalog {}); {} entries not everywhere\n",
             incomplete, smallest, poorly_known);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const auto held = known_by[nodes[i].local().id()];
    const auto size = nodes[i].discovery().catalog().size();
    if (held + 1 < nodes.size() || size + 1 < nodes.size()) {
      fmt::print(stderr, "  node {}: known by {}, knows {}, {} neighbours\n", i, held, size,
                 nodes[i].discovery().service()->active_peers());
    }
  }
}

// Destroys the nodes in parallel: each waits out its departure window.
void tear_down(std::vector<Network> nodes) {
  std::vector<std::thread> threads;
  threads.reserve(nodes.size());
  for (auto& n : nodes) threads.emplace_back([node = std::move(n)]() mutable { (void)node; });
  for (auto& t : threads) t.join();
}

void run(std::size_t n) {
  const NetworkId net = Digest::random();  // every run its own network
  const EventLoops loops(event_loops);  // declared first: outlives the nodes
  std::vector<Network> nodes;
  nodes.reserve(n);
  nodes.push_back(block_on(start_node(loops, net, bench_discovery(), 0)));
  const EndpointAddr first = nodes.front().local().addr();
  const auto first_started = Clock::now();
  const double cpu_at_start = process_cpu_seconds();
  for (std::size_t i = 1; i < n; ++i) {
    nodes.push_back(block_on(start_node(loops, net, bench_discovery().with_bootstrap(first), i)));
  }
  const auto last_started = Clock::now();
  const double start_s = std::chrono::duration<double>(last_started - first_started).count();

  // Connections while the nodes join, sampled beside the convergence wait; for the node
  // that held the most, what discovery held of them when it did (announce links it dialed,
  // catalog-sync connections dialed to it and exchanges it served; the rest are handshakes
  // in progress, announce connections dialed to it and exchanges it dialed).
  std::atomic<bool> joined{false};
  std::size_t joining_connections = 0;
  std::string busiest = "null";
  std::thread sampler([&] {
    auto next_progress = Clock::now();
    while (!joined) {
      if (print_progress && Clock::now() >= next_progress) {
        next_progress += 500ms;
        std::size_t complete = 0, known = 0;
        for (const auto& node : nodes) {
          const auto size = node.discovery().catalog().size();
          known += size;
          complete += size + 1 >= n;
        }
        fmt::print(stderr, "progress t={:.1f}s complete={} known={:.4f} cpu={:.1f}s max_connections={}\n",
                   seconds_since(last_started), complete,
                   static_cast<double>(known) / static_cast<double>(n * (n - 1)),
                   process_cpu_seconds() - cpu_at_start, joining_connections);
      }
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        // The connections a node holds (closing ones too) are an atomic read; the exact count
        // (handshaking or open) is a round trip to the node's thread, which under a mass
        // join takes long enough that sweeping every node took seconds: only a node that
        // may beat the largest so far is asked.
        if (nodes[i].local().endpoint().traffic().connections <= joining_connections) continue;
        const std::size_t open = nodes[i].local().endpoint().open_connections();
        if (open <= joining_connections) continue;
        joining_connections = open;
        const auto& service = *nodes[i].discovery().service();
        busiest = fmt::format(
            R"({{"node": {}, "connections": {}, "announce_links": {}, "sync_connections": {}, "inbound_syncs": {}}})",
            i, open, service.announce_links(), service.sync_connections(), service.inbound_syncs());
      }
      std::this_thread::sleep_for(50ms);  // sampling, not synchronisation
    }
  });

  // Converged when every catalog holds the n - 1 others; waiting node by node, the last
  // wait ends when the slowest one got there.
  bool converged = true;
  for (const auto& node : nodes) {
    auto watch = node.discovery().catalog_watch();
    const auto left = kConvergeLimit - (Clock::now() - last_started);
    auto done = block_on(with_timeout(
        watch.wait_until([n](const discovery::Catalog& c) { return c.size() + 1 >= n; }),
        std::max<Clock::duration>(left, 0s)));
    if (!done) {
      converged = false;
      break;
    }
  }
  const double converge_s = seconds_since(last_started);
  const double join_cpu_s = process_cpu_seconds() - cpu_at_start;
  // Connections the bootstrap node refused as busy (at a bound of handshakes or of
  // catalog-sync connections; each dialer retries with its backoff).
  const auto busy_refusals =
      nodes.front().local().endpoint().traffic().failures(transport::HandshakeFailure::kBusy);
  if (!converged) report_missing(nodes);
  joined = true;
  sampler.join();

  // Steady state: nothing changes but the periodic re-announcements.
  std::this_thread::sleep_for(kSettle);
  std::size_t most_connections = 0;
  double connection_sum = 0;
  std::size_t samples = 0;
  const std::uint64_t before = frames_received(nodes);
  const std::uint64_t packets_before = packets_received(nodes);
  const double cpu_before = process_cpu_seconds();
  const auto window_start = Clock::now();
  while (Clock::now() - window_start < kSteadyWindow) {
    // Sampling, not synchronisation; each sample wakes every node's thread (a round trip),
    // so sampling often would add to the CPU this window measures.
    std::this_thread::sleep_for(500ms);
    for (const auto& node : nodes) {
      const std::size_t open = node.local().endpoint().open_connections();
      most_connections = std::max(most_connections, open);
      connection_sum += static_cast<double>(open);
      ++samples;
    }
  }
  const double window_s = seconds_since(window_start);
  const double cpu_per_node_s = (process_cpu_seconds() - cpu_before) / static_cast<double>(n) / window_s;
  const double per_node_s =
      static_cast<double>(frames_received(nodes) - before) / static_cast<double>(n) / window_s;
  const double packets_per_node_s =
      static_cast<double>(packets_received(nodes) - packets_before) / static_cast<double>(n) / window_s;

  fmt::print(R"({{"nodes": {}, "converge_s": {}, "converged": {}, "max_connections": {}, )"
             R"("mean_connections": {:.1f}, "max_connections_joining": {}, "busiest_joining": {}, "announces_per_node_s": {:.2f}, )"
             R"("cpu_s_per_node_s": {:.5f}, "packets_per_node_s": {:.1f}, "join_cpu_s": {:.1f}, "bootstrap_busy_refusals": {}, )"
             R"("start_s": {:.2f}, "announce_interval_s": {}, "event_loops": {}}})"
             "\n",
             n, converged ? fmt::format("{:.3f}", converge_s) : std::string("null"), converged,
             most_connections, connection_sum / static_cast<double>(std::max<std::size_t>(samples, 1)),
             joining_connections, busiest, per_node_s, cpu_per_node_s, packets_per_node_s, join_cpu_s, busy_refusals, start_s,
             std::chrono::duration<double>(announce_interval).count(), event_loops);
  std::fflush(stdout);
  tear_down(std::move(nodes));
}

}  // namespace

int main(int argc, char** argv) {
  log::configure(std::getenv("MOSAIK_LOG") ? std::getenv("MOSAIK_LOG") : "off");
  std::vector<std::size_t> sizes;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--progress") {
      print_progress = true;
    } else if (arg.starts_with("--loops=")) {
      event_loops = static_cast<std::size_t>(std::atoi(argv[i] + std::strlen("--loops=")));
    } else if (arg.starts_with("--interval=")) {
      announce_interval = std::chrono::milliseconds(
          static_cast<std::int64_t>(std::atof(argv[i] + std::strlen("--interval=")) * 1000));
    } else {
      sizes.push_back(static_cast<std::size_t>(std::atoi(argv[i])));
    }
  }
  if (sizes.empty()) sizes = {16, 64, 256};
  for (auto n : sizes) run(n);
  return 0;
}
