// A node in a process of its own (node_process), attacked from this one as a stranger on
// the network would: an empty datagram, 10 000 random datagrams, 16 announce links each
// declaring a 15 MB frame and sending part of it, and 48 catalog-sync links each holding an
// unfinished frame within the 4 MiB limit. It must keep serving (a new node syncs with it
// and receives its stream) with its RSS growth below the bound of docs/decisions/0204.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <poll.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "mosaik/mosaik.hpp"
#include "mosaik/transport/close_reason.hpp"
#include "node_fixture.hpp"
#include "node_process_child.hpp"

namespace mosaik::test {
namespace {

// The 15 MB frames are refused at their header; the sync links' connection is closed once
// it holds 32 MiB, plus at most one connection window (16 MiB) arriving before the close.
// Issue 13 measured 18.5 -> 255 MB for the announce part alone before decision 0204.
constexpr std::uint64_t kRssGrowthBound = 48ull << 20;

void send_noise(const transport::UdpEndpoint& target) {
  asio::io_context io;
  asio::ip::udp::socket socket(io, transport::UdpEndpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::error_code ignored;
  socket.send_to(asio::buffer(static_cast<const void*>(nullptr), 0), target, 0, ignored);
  std::mt19937_64 rng(13);
  std::vector<std::uint8_t> packet;
  for (int i = 0; i < 10'000; ++i) {
    packet.resize(rng() % 1400);
    for (auto& b : packet) b = static_cast<std::uint8_t>(rng());
    socket.send_to(asio::buffer(packet), target, 0, ignored);
  }
}

// Opens a link on `alpn`, sends `hello` when given, then a frame header declaring
// `declared` payload bytes and `sent` of them, 64 KiB at a time, never the rest. Reports
// how the link ended (or that it is still held) through `closed_with`.
asio::awaitable<void> hold_unfinished_frame(transport::Connection conn, std::optional<wire::Bytes> hello,
                                            std::uint32_t declared, std::uint64_t sent,
                                            std::atomic<std::uint64_t>& bytes_out,
                                            std::atomic<std::uint64_t>& closed_with) {
  auto link = co_await conn.open_link();
  if (!link) co_return;
  if (hello && !co_await link->send_frame(*hello)) co_return;
  wire::Bytes header = {static_cast<std::uint8_t>(declared >> 24), static_cast<std::uint8_t>(declared >> 16),
                        static_cast<std::uint8_t>(declared >> 8), static_cast<std::uint8_t>(declared)};
  if (!co_await link->send_framed(std::move(header))) co_return;
  constexpr std::size_t kPiece = 64 * 1024;
  for (std::uint64_t done = 0; done < sent; done += kPiece) {
    auto ok = co_await link->send_framed(wire::Bytes(std::min<std::uint64_t>(kPiece, sent - done), 0x5a));
    if (!ok) {
      closed_with = ok.error().reason.code();
      co_return;
    }
    bytes_out += kPiece;
  }
  auto ended = co_await link->recv_frame();  // held until the target closes it
  if (!ended) closed_with = ended.error().reason.code();
}

// The child's output is read on a loop of its own, beside the test's synchronous steps.
struct ChildLoop {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  ~ChildLoop() {
    work.reset();
    io.stop();
    thread.join();
  }
  template <class T>
  T run(asio::awaitable<T> op) {
    return block_on(asio::co_spawn(io, std::move(op), asio::use_awaitable));
  }
};

std::uint64_t rss_bytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // kB
  }
  return 0;
}

// Running, not exited (a zombie counts as exited).
bool running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  const auto close_paren = text.rfind(')');
  return close_paren != std::string::npos && close_paren + 2 < text.size() && text[close_paren + 2] != 'Z';
}

TEST(HostileInput, a_node_survives_noise_and_unfinished_frames_within_its_memory_bound) {
  ChildLoop loop;
  auto target = ChildProcess::spawn(loop.io.get_executor(), MOSAIK_NODE_PROCESS, {});
  auto addr = std::optional<EndpointAddr>(loop.run(node_process_address(target)));
  const auto alive = [&target] { return running(target.pid()); };
  const std::uint64_t baseline = rss_bytes(target.pid());
  ASSERT_GT(baseline, 0u);

  send_noise(*addr->direct_addresses.begin());
  ASSERT_TRUE(alive()) << "the target died from datagram noise";

  auto attacker = transport::Endpoint::bind(SecretKey::generate());
  ASSERT_TRUE(attacker) << attacker.error().message;
  std::atomic<std::uint64_t> bytes_out = 0;
  std::vector<std::unique_ptr<std::atomic<std::uint64_t>>> announce_closed;
  std::vector<std::unique_ptr<std::atomic<std::uint64_t>>> sync_closed;
  auto announce = block_on(attacker->connect(*addr, "/mosaik/announce"));
  ASSERT_TRUE(announce) << announce.error().message;
  auto sync = block_on(attacker->connect(*addr, "/mosaik/catalog-sync"));
  ASSERT_TRUE(sync) << sync.error().message;
  const wire::Bytes hello = wire::encode(kNodeProcessNetwork);
  for (int i = 0; i < 16; ++i) {
    announce_closed.push_back(std::make_unique<std::atomic<std::uint64_t>>(0));
    asio::co_spawn(attacker->executor(),
                   hold_unfinished_frame(*announce, hello, 15'000'000, 1'000'000, bytes_out,
                                         *announce_closed.back()),
                   asio::detached);
  }
  for (int i = 0; i < 48; ++i) {
    sync_closed.push_back(std::make_unique<std::atomic<std::uint64_t>>(0));
    asio::co_spawn(attacker->executor(),
                   hold_unfinished_frame(*sync, std::nullopt, (4u << 20) - 64, (4u << 20) - 65 * 1024,
                                         bytes_out, *sync_closed.back()),
                   asio::detached);
  }

  // Watch the target while the attacker sends, until its sending stalls (the target grants
  // no more credit) for a second, or 8 s pass.
  std::uint64_t peak = 0;
  std::uint64_t last_out = 0;
  int still = 0;
  for (int sample = 0; sample < 80 && still < 10; ++sample) {
    pollfd none{};
    poll(&none, 0, 100);  // sampling period of an observation, not a synchronisation
    peak = std::max(peak, rss_bytes(target.pid()));
    const std::uint64_t out = bytes_out.load();
    still = out == last_out ? still + 1 : 0;
    last_out = out;
  }
  ASSERT_TRUE(alive()) << "the target died while links held unfinished frames";
  const std::uint64_t growth = peak > baseline ? peak - baseline : 0;
  RecordProperty("rss_baseline_bytes", std::to_string(baseline));
  RecordProperty("rss_growth_bytes", std::to_string(growth));
  RecordProperty("attacker_bytes_sent", std::to_string(last_out));
#if defined(__SANITIZE_ADDRESS__)
  // ASan keeps freed memory in quarantine (256 MB by default): RSS says nothing here. The
  // bound is checked by the plain build; everything else below holds under ASan too.
  (void)kRssGrowthBound;
#else
  EXPECT_LT(growth, kRssGrowthBound) << "baseline " << baseline << " peak " << peak;
#endif
  for (const auto& closed : announce_closed) {
    EXPECT_EQ(closed->load(), transport::close_reason::ProtocolViolation.code())
        << "a 15 MB frame on an announce link must be refused at its header";
  }

  // Still serving: a new node syncs with it and gets its stream.
  block_on([](EndpointAddr target_addr) -> asio::awaitable<void> {
    auto node = co_await make_node(kNodeProcessNetwork);
    auto synced = co_await timeout_s(15, node.discovery().sync_with(target_addr));
    EXPECT_TRUE(synced) << synced.error().message;
    auto ticks = node.streams().consume<Tick>();
    auto tick = co_await timeout_s(15, ticks.recv());
    EXPECT_TRUE(tick.has_value());
  }(*addr));

  block_on(attacker->shutdown());
  target.signal(SIGTERM);
  EXPECT_EQ(loop.run(target.exit_code(20)), 0) << "the target did not shut down cleanly";
}

}  // namespace
}  // namespace mosaik::test
