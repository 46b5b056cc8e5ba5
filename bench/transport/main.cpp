// bench/transport: how close a Link gets to raw UDP on loopback (issue 4). Prints one JSON
// object: raw UDP throughput (1200-byte datagrams), link throughput with 1 KiB and 64 KiB
// messages, and 64-byte ping-pong round trips over a link and over a plain UDP socket pair.
#include <fmt/format.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/use_future.hpp>
#include <msgpack.hpp>

#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <cstdint>
#include <future>
#include <string_view>
#include <vector>

#include "mosaik/primitives/keys.hpp"
#include "mosaik/transport/endpoint.hpp"
#include "mosaik/transport/link.hpp"
#include "udp_baseline.hpp"

namespace {

using namespace mosaik;
using namespace mosaik::transport;
using Clock = std::chrono::steady_clock;

struct Blob {
  std::uint64_t seq = 0;
  std::vector<std::uint8_t> data;
  MSGPACK_DEFINE(seq, data);
  static constexpr std::string_view alpn = "/mosaik/bench/1";
};

// Server: on each link, echo messages whose seq has the top bit set (pings) and count the
// rest; a message with seq == UINT64_MAX - 1 asks for the count back (end of a bulk run).
constexpr std::uint64_t kPingBit = 1ull << 63;
constexpr std::uint64_t kReport = ~0ull - 1;

asio::awaitable<void> serve_link(Link<Blob> link) {
  std::uint64_t bytes = 0;
  for (;;) {
    auto msg = co_await link.recv();
    if (!msg) co_return;
    if (msg->seq == kReport) {
      const Blob report{bytes, {}};
      if (!co_await link.send(report)) co_return;
      bytes = 0;
    } else if (msg->seq & kPingBit) {
      if (!co_await link.send(*msg)) co_return;
    } else {
      bytes += msg->data.size();
    }
  }
}

asio::awaitable<void> serve_connection(Connection conn) {
  for (;;) {
    auto link = co_await Link<Blob>::accept(conn);
    if (!link) co_return;
    auto executor = conn.executor();
    asio::co_spawn(executor, serve_link(std::move(*link)), asio::detached);
  }
}

// Sends `total_bytes` in messages of `size` bytes, then waits for the server's count.
asio::awaitable<double> bulk_mbps(Link<Blob>& link, std::size_t size, std::uint64_t total_bytes) {
  Blob msg{0, std::vector<std::uint8_t>(size, 0xab)};
  const auto start = Clock::now();
  for (std::uint64_t sent = 0; sent < total_bytes; sent += size) {
    ++msg.seq;
    if (!co_await link.send(msg)) co_return 0.0;
  }
  const Blob ask{kReport, {}};
  if (!co_await link.send(ask)) co_return 0.0;
  auto report = co_await link.recv();
  if (!report) co_return 0.0;
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  co_return static_cast<double>(report->seq) * 8 / seconds / 1e6;
}

asio::awaitable<std::vector<double>> link_rtts_us(Link<Blob>& link, int rounds) {
  std::vector<double> rtts;
  rtts.reserve(static_cast<std::size_t>(rounds));
  Blob ping{kPingBit, std::vector<std::uint8_t>(64, 0x5a)};
  for (int i = 0; i < rounds; ++i) {
    ping.seq = kPingBit | static_cast<std::uint64_t>(i);
    const auto t0 = Clock::now();
    if (!co_await link.send(ping)) break;
    auto pong = co_await link.recv();
    if (!pong) break;
    rtts.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  co_return rtts;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

struct LinkFigures {
  double mbps_1k = 0, mbps_64k = 0, rtt_p50 = 0, rtt_p99 = 0;
};

asio::awaitable<LinkFigures> measure_link(Endpoint& client, EndpointAddr server) {
  LinkFigures f;
  auto bulk = co_await Link<Blob>::open(client, server);
  auto pings = co_await Link<Blob>::open(client, server);
  if (!bulk || !pings) co_return f;
  // MOSAIK_BENCH_RTT_ONLY=1 skips the bulk runs (for profiling the round trip alone).
  if (std::getenv("MOSAIK_BENCH_RTT_ONLY") == nullptr) {
    (void)co_await bulk_mbps(*bulk, 1024, 16ull << 20);  // warm-up: congestion window, pages
    f.mbps_1k = co_await bulk_mbps(*bulk, 1024, 256ull << 20);
    f.mbps_64k = co_await bulk_mbps(*bulk, 64 * 1024, 512ull << 20);
  }
  (void)co_await link_rtts_us(*pings, 200);  // warm-up
  auto rtts = co_await link_rtts_us(*pings, 5000);
  f.rtt_p50 = percentile(rtts, 0.50);
  f.rtt_p99 = percentile(rtts, 0.99);
  co_return f;
}

}  // namespace

int main() {
  const double udp_mbps = mosaik::bench::udp_throughput_mbps(std::chrono::milliseconds(2000));
  (void)mosaik::bench::udp_rtts_us(200);  // warm-up
  const auto udp_rtts = mosaik::bench::udp_rtts_us(5000);

  auto server = Endpoint::bind(SecretKey::generate());
  auto client = Endpoint::bind(SecretKey::generate());
  if (!server || !client) {
    fmt::print(stderr, "bind failed\n");
    return 1;
  }
  server->register_alpn(std::string(Blob::alpn), [](Connection conn) {
    auto executor = conn.executor();
    asio::co_spawn(executor, serve_connection(std::move(conn)), asio::detached);
  });
  auto future = asio::co_spawn(client->executor(), measure_link(*client, server->addr()),
                               asio::use_future);
  if (future.wait_for(std::chrono::seconds(45)) != std::future_status::ready) {
    fmt::print(stderr, "link measurement did not finish in 45 s\n");
    return 1;
  }
  const LinkFigures link = future.get();

  const double udp_p50 = percentile(udp_rtts, 0.50);
  fmt::print(
      "{{\"udp_mbps\": {:.1f}, \"link_mbps_1k\": {:.1f}, \"link_mbps_64k\": {:.1f}, "
      "\"udp_rtt_p50_us\": {:.1f}, \"udp_rtt_p99_us\": {:.1f}, \"link_rtt_p50_us\": {:.1f}, "
      "\"link_rtt_p99_us\": {:.1f}, \"throughput_ratio\": {:.3f}, \"rtt_ratio\": {:.3f}}}\n",
      udp_mbps, link.mbps_1k, link.mbps_64k, udp_p50, percentile(udp_rtts, 0.99), link.rtt_p50,
      link.rtt_p99, udp_mbps > 0 ? link.mbps_64k / udp_mbps : 0.0,
      udp_p50 > 0 ? link.rtt_p50 / udp_p50 : 0.0);
  return link.mbps_64k > 0 ? 0 : 1;
}
