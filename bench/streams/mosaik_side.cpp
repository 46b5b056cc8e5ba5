// mosaik side: a producer node and a consumer node holding N consumers (N subscriptions
// over one QUIC connection), on loopback. The user side runs on this thread.

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <vector>

#include "mosaik/network/network.hpp"
#include "mosaik/primitives/async/block_on.hpp"
#include "mosaik/primitives/async/timeout.hpp"
#include "sides.hpp"

namespace bench {
namespace {

using namespace std::chrono_literals;

struct BenchDatum {
  std::uint64_t seq = 0;
  std::int64_t sent_ns = 0;
  std::vector<std::uint8_t> pad;
  MSGPACK_DEFINE(seq, sent_ns, pad);
  static constexpr std::string_view stream_name = "bench/streams";
};

// The pad that makes a datum encode to `bytes` (at least the fixed fields).
std::size_t pad_for(std::size_t bytes) {
  const auto fixed = mosaik::wire::encode(BenchDatum{~0ull, INT64_MAX, {}}).size() + 2;
  return bytes > fixed ? bytes - fixed : 0;
}

asio::awaitable<mosaik::Network> make_node(std::optional<mosaik::EndpointAddr> seed) {
  auto disc = mosaik::discovery::Config::builder().no_auto_bootstrap();
  if (seed) disc.with_bootstrap(*seed);
  const std::set<mosaik::SocketAddr> loopback = {mosaik::SocketAddr(asio::ip::make_address("127.0.0.1"), 0)};
  auto built = co_await mosaik::Network::builder("bench-streams")
                   .with_addresses(loopback)
                   .with_relay_mode(mosaik::RelayMode::kDisabled)
                   .with_discovery(std::move(disc))
                   .build();
  if (!built) throw std::runtime_error("node: " + built.error().message);
  co_return std::move(*built);
}

struct Shared {
  std::vector<std::uint64_t> received;
  std::int64_t last_ns = 0;
  bool record = false;
  std::vector<std::int64_t> latencies;
};

asio::awaitable<void> consume_loop(mosaik::streams::Consumer<BenchDatum> consumer,
                                   std::shared_ptr<Shared> shared, std::size_t index) {
  for (;;) {
    auto d = co_await consumer.recv();
    if (!d) co_return;
    const auto now = now_ns();
    if (shared->record) shared->latencies.push_back(now - d->sent_ns);
    ++shared->received[index];
    shared->last_ns = now;
  }
}

asio::awaitable<void> pause(std::chrono::microseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait(asio::use_awaitable);
}

// Waits until every consumer has `expected`, or their counts stop moving.
asio::awaitable<void> drain(const Shared& shared, std::uint64_t expected) {
  const auto limit = std::chrono::steady_clock::now() + kDrainLimit;
  std::uint64_t last_total = 0;
  auto last_change = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < limit) {
    std::uint64_t total = 0;
    bool all = true;
    for (auto n : shared.received) {
      total += n;
      all = all && n >= expected;
    }
    if (all) co_return;
    if (total != last_total) {
      last_total = total;
      last_change = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - last_change > 2s) {
      co_return;
    }
    co_await pause(200us);
  }
}

asio::awaitable<SideResult> run(Case c, double offered_fraction) {
  SideResult result;
  auto pnode = co_await make_node(std::nullopt);
  auto cnode = co_await make_node(pnode.local().addr());
  auto built = pnode.streams().producer<BenchDatum>().disconnect_lagging(false).build();
  if (!built) throw std::runtime_error("producer exists");
  auto producer = *built;
  auto shared = std::make_shared<Shared>();
  shared->received.assign(c.consumers, 0);
  auto ex = co_await asio::this_coro::executor;
  for (std::size_t i = 0; i < c.consumers; ++i) {
    asio::co_spawn(ex, consume_loop(cnode.streams().consume<BenchDatum>(), shared, i), asio::detached);
  }
  auto ready = co_await mosaik::with_timeout(producer.when().subscribed().minimum_of(c.consumers).wait(), 20s);
  if (!ready) throw std::runtime_error("consumers did not subscribe");
  BenchDatum datum;
  datum.pad.assign(pad_for(c.datum_bytes), 0x5a);

  // Throughput: send as fast as the producer accepts (send() waits while a queue is full).
  std::uint64_t sent = 0;
  const auto start = now_ns();
  const auto until = start + std::chrono::nanoseconds(kThroughputWindow).count();
  while (now_ns() < until) {
    for (int k = 0; k < 64; ++k) {
      datum.seq = sent++;
      auto ok = co_await producer.send(datum);
      if (!ok) throw std::runtime_error("send failed");
    }
    co_await asio::post(ex, asio::use_awaitable);  // let the consumers run
  }
  co_await drain(*shared, sent);
  std::uint64_t delivered = 0;
  for (auto n : shared->received) delivered += n;
  const double seconds = static_cast<double>(shared->last_ns - start) / 1e9;
  result.throughput.msgs_s = static_cast<double>(delivered) / seconds;
  result.throughput.mb_s = result.throughput.msgs_s * static_cast<double>(c.datum_bytes) / 1e6;

  // Latency at a fixed offered load.
  std::fill(shared->received.begin(), shared->received.end(), 0);
  shared->record = true;
  const double rate = offered_fraction * result.throughput.msgs_s / static_cast<double>(c.consumers);
  std::uint64_t offered = 0;
  const auto lat_start = now_ns();
  const auto lat_until = lat_start + std::chrono::nanoseconds(kLatencyWindow).count();
  for (auto now = now_ns(); now < lat_until; now = now_ns()) {
    const auto due = static_cast<std::uint64_t>(rate * static_cast<double>(now - lat_start) / 1e9);
    while (offered < due) {
      datum.seq = offered++;
      datum.sent_ns = now_ns();
      auto ok = co_await producer.send(datum);
      if (!ok) throw std::runtime_error("send failed");
    }
    co_await pause(100us);
  }
  co_await drain(*shared, offered);
  shared->record = false;
  result.latency = percentiles(shared->latencies);
  co_return result;
}

}  // namespace

SideResult run_mosaik(const Case& c, double offered_fraction) {
  return mosaik::block_on(run(c, offered_fraction));
}

namespace {

// Child: the producer node. Writes its address, waits for the subscription, offers datums
// for a second, then writes its RSS growth in bytes.
asio::awaitable<std::uint64_t> stalled_producer(int out_fd, std::size_t buffer_size) {
  auto node = co_await make_node(std::nullopt);
  auto built = node.streams()
                   .producer<BenchDatum>()
                   .disconnect_lagging(false)
                   .with_buffer_size(buffer_size)
                   .build();
  auto producer = *built;
  const auto addr = node.local().addr().to_string() + "\n";
  if (::write(out_fd, addr.data(), addr.size()) < 0) co_return 0;
  auto ready = co_await mosaik::with_timeout(producer.when().online(), 20s);
  if (!ready) co_return 0;
  const auto baseline = current_rss_bytes();
  BenchDatum datum;
  datum.pad.assign(pad_for(1024), 0x5a);
  const auto until = now_ns() + 1'000'000'000;
  while (now_ns() < until) {
    for (int k = 0; k < 256; ++k) {
      ++datum.seq;
      (void)producer.try_send(datum);  // Full once the stalled consumer's queue is full
    }
    co_await pause(100us);
  }
  const auto peak = peak_rss_bytes();
  co_return peak > baseline ? peak - baseline : 0;
}

}  // namespace

double stalled_producer_rss_mb(std::size_t buffer_size) {
  int to_parent[2];
  if (::pipe(to_parent) != 0) throw std::runtime_error("pipe");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(to_parent[0]);
    std::uint64_t growth = 0;
    try {
      growth = mosaik::block_on(stalled_producer(to_parent[1], buffer_size));
    } catch (...) {
    }
    const auto line = fmt::format("{}\n", growth);
    (void)!::write(to_parent[1], line.data(), line.size());
    ::_exit(0);
  }
  ::close(to_parent[1]);
  // Parent: read the address, run a consumer that never reads, wait for the figure.
  std::string text;
  char buf[512];
  auto read_line = [&]() -> std::string {
    for (;;) {
      const auto nl = text.find('\n');
      if (nl != std::string::npos) {
        auto line = text.substr(0, nl);
        text.erase(0, nl + 1);
        return line;
      }
      const auto n = ::read(to_parent[0], buf, sizeof(buf));
      if (n <= 0) return {};
      text.append(buf, static_cast<std::size_t>(n));
    }
  };
  const auto addr = mosaik::EndpointAddr::parse(read_line());
  double mb = -1;
  if (addr) {
    mb = mosaik::block_on([](mosaik::EndpointAddr producer_addr, std::function<std::string()> next_line)
                              -> asio::awaitable<double> {
      auto node = co_await make_node(producer_addr);
      auto stalled = node.streams().consume<BenchDatum>();  // never reads
      // Blocking read on this thread is fine: this node runs on its own thread.
      const auto line = next_line();
      co_return line.empty() ? -1.0 : static_cast<double>(std::stoull(line)) / 1e6;
    }(*addr, read_line));
  }
  ::close(to_parent[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return mb;
}

}  // namespace bench
