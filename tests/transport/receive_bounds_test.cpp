// What a peer can make us hold (received bytes not yet taken as complete frames) is bounded
// per connection and per node: past a bound the connection is closed with
// ResourceExhausted, while honest large frames on several links still arrive.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <atomic>
#include <future>
#include <thread>

#include "transport_fixture.hpp"

namespace mosaik::transport::test {
namespace receive_bounds_test {
namespace {

using mosaik::test::millis;
using mosaik::test::secs;

constexpr std::size_t kFrameLimit = 4 << 20;

EndpointConfig small_windows() {
  auto config = loopback_config();
  config.stream_window_bytes = 256 << 10;
  config.connection_window_bytes = 1 << 20;
  config.max_buffered_receive_bytes_per_connection = 64 << 20;
  return config;
}

// Every link of every connection: read frames until the link ends, counting them.
void serve_frames(Endpoint& ep, std::atomic<int>& frames) {
  ep.register_alpn(std::string(kTestAlpn), [&frames](Connection conn) {
    auto executor = conn.executor();
    asio::co_spawn(executor, [](Connection c, std::atomic<int>& n) -> asio::awaitable<void> {
      for (;;) {
        auto link = co_await c.accept_link(kFrameLimit);
        if (!link) co_return;
        asio::co_spawn(c.executor(), [](RawLink l, std::atomic<int>& count) -> asio::awaitable<void> {
          while (co_await l.recv_frame()) ++count;
        }(std::move(*link), n), asio::detached);
      }
    }(conn, frames), asio::detached);
  });
}

wire::Bytes frame_header(std::uint32_t size) {
  return {static_cast<std::uint8_t>(size >> 24), static_cast<std::uint8_t>(size >> 16),
          static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size)};
}

// Opens a link and sends a header declaring `declared` bytes, then `sent` of them.
asio::awaitable<void> send_unfinished(Connection conn, std::uint32_t declared, std::size_t sent,
                                      std::atomic<std::uint64_t>& out, std::atomic<std::uint64_t>& closed) {
  auto link = co_await conn.open_link();
  if (!link || !co_await link->send_framed(frame_header(declared))) co_return;
  constexpr std::size_t kPiece = 32 << 10;
  for (std::size_t done = 0; done < sent; done += kPiece) {
    auto ok = co_await link->send_framed(wire::Bytes(std::min(kPiece, sent - done), 0x33));
    if (!ok) {
      closed = ok.error().reason.code();
      co_return;
    }
    out += kPiece;
  }
  auto ended = co_await link->recv_frame();
  if (!ended) closed = ended.error().reason.code();
}

// Polls `value` until it has not changed for 10 polls in a row (bounded); returns its peak.
template <class F>
std::uint64_t peak_until_still(F value) {
  std::uint64_t peak = 0;
  std::uint64_t last = UINT64_MAX;
  int still = 0;
  for (int i = 0; i < 200 && still < 10; ++i) {
    std::this_thread::sleep_for(millis(50));  // sampling an observation, not synchronising
    const std::uint64_t now = value();
    peak = std::max(peak, now);
    still = now == last ? still + 1 : 0;
    last = now;
  }
  return peak;
}

TEST(ReceiveBounds, a_connection_holding_unfinished_frames_past_its_bound_is_closed_with_resource_exhausted) {
  std::atomic<int> frames = 0;
  auto config = small_windows();
  config.max_buffered_receive_bytes_per_connection = 2 << 20;
  auto server = bind_or_die(SecretKey::generate(), config);
  serve_frames(server, frames);
  auto client = bind_or_die(SecretKey::generate());
  auto conn = block_on(client.connect(server.addr(), std::string(kTestAlpn)));
  ASSERT_TRUE(conn) << conn.error().message;
  std::atomic<std::uint64_t> out = 0;
  std::atomic<std::uint64_t> closed = 0;
  constexpr std::uint32_t kDeclared = (3 << 20) + (512 << 10);  // under the 4 MiB limit
  for (int i = 0; i < 8; ++i) {
    asio::co_spawn(client.executor(), send_unfinished(*conn, kDeclared, kDeclared - 1, out, closed),
                   asio::detached);
  }
  // Without the bound the server would hold every frame but its last byte: 28 MiB.
  const std::uint64_t held = peak_until_still([&] { return server.buffered_receive_bytes(); });
  EXPECT_LE(held, config.max_buffered_receive_bytes_per_connection + (1u << 20)) << "held " << held;
  const auto deadline = std::chrono::steady_clock::now() + secs(10);
  while (closed.load() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(millis(20));  // polling a flag with a deadline
  }
  EXPECT_EQ(closed.load(), close_reason::ResourceExhausted.code());
  EXPECT_EQ(frames.load(), 0);
  EXPECT_EQ(server.buffered_receive_bytes(), 0u) << "a closed connection holds nothing";
  block_on(client.shutdown());
}

TEST(ReceiveBounds, frames_larger_than_both_windows_on_six_links_of_one_connection_all_arrive) {
  std::atomic<int> frames = 0;
  auto server = bind_or_die(SecretKey::generate(), small_windows());
  serve_frames(server, frames);
  auto client = bind_or_die(SecretKey::generate());
  auto conn = block_on(client.connect(server.addr(), std::string(kTestAlpn)));
  ASSERT_TRUE(conn) << conn.error().message;
  constexpr int kLinks = 6;
  constexpr int kFramesPerLink = 3;
  std::atomic<int> sent_ok = 0;
  for (int i = 0; i < kLinks; ++i) {
    asio::co_spawn(client.executor(), [](Connection c, std::atomic<int>& ok) -> asio::awaitable<void> {
      auto link = co_await c.open_link(kFrameLimit);
      if (!link) co_return;
      for (int f = 0; f < kFramesPerLink; ++f) {
        if (!co_await link->send_frame(wire::Bytes((1 << 20) + (512 << 10), 0x44))) co_return;
      }
      ++ok;
      (void)co_await link->recv_frame();  // keep the link until the endpoint shuts down
    }(*conn, sent_ok), asio::detached);
  }
  const auto deadline = std::chrono::steady_clock::now() + secs(30);
  while (frames.load() < kLinks * kFramesPerLink && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(millis(20));  // polling a counter with a deadline
  }
  EXPECT_EQ(frames.load(), kLinks * kFramesPerLink);
  EXPECT_EQ(sent_ok.load(), kLinks);
  EXPECT_EQ(server.buffered_receive_bytes(), 0u) << "every taken frame is credited back";
  block_on(client.shutdown());
}

TEST(ReceiveBounds, past_the_node_bound_the_connection_holding_the_most_is_closed_with_resource_exhausted) {
  std::atomic<int> frames = 0;
  auto config = small_windows();
  config.max_buffered_receive_bytes = 1536 << 10;  // one connection's window and a half
  auto server = bind_or_die(SecretKey::generate(), config);
  serve_frames(server, frames);
  auto big = bind_or_die(SecretKey::generate());
  auto small = bind_or_die(SecretKey::generate());
  auto big_conn = block_on(big.connect(server.addr(), std::string(kTestAlpn)));
  auto small_conn = block_on(small.connect(server.addr(), std::string(kTestAlpn)));
  ASSERT_TRUE(big_conn && small_conn);
  std::atomic<std::uint64_t> big_out = 0, big_closed = 0, small_out = 0, small_closed = 0;
  // The small one holds 200 KiB of an unfinished frame; the big one as much as it may.
  asio::co_spawn(small.executor(), send_unfinished(*small_conn, 1 << 20, 200 << 10, small_out, small_closed),
                 asio::detached);
  peak_until_still([&] { return server.buffered_receive_bytes(); });
  for (int i = 0; i < 4; ++i) {
    asio::co_spawn(big.executor(), send_unfinished(*big_conn, 3 << 20, (3 << 20) - 1, big_out, big_closed),
                   asio::detached);
  }
  const auto deadline = std::chrono::steady_clock::now() + secs(20);
  while (big_closed.load() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(millis(20));  // polling a flag with a deadline
  }
  EXPECT_EQ(big_closed.load(), close_reason::ResourceExhausted.code());
  EXPECT_EQ(small_closed.load(), 0u) << "the connection holding less stays";
  EXPECT_LE(server.buffered_receive_bytes(), config.max_buffered_receive_bytes);
  block_on(big.shutdown());
  block_on(small.shutdown());
}

// Bytes nobody asked for get no credit: a reader that stops holds its sender at the stream
// window, its connection stays open, and everything arrives once it reads again.
TEST(ReceiveBounds, a_reader_that_stops_holds_its_sender_at_the_window_until_it_reads_again) {
  auto config = small_windows();
  auto server = bind_or_die(SecretKey::generate(), config);
  std::promise<RawLink> accepted;
  server.register_alpn(std::string(kTestAlpn), [&accepted](Connection conn) {
    asio::co_spawn(conn.executor(), [](Connection c, std::promise<RawLink>& out) -> asio::awaitable<void> {
      auto link = co_await c.accept_link(kFrameLimit);
      if (link) out.set_value(std::move(*link));  // and read nothing for now
    }(conn, accepted), asio::detached);
  });
  auto client = bind_or_die(SecretKey::generate());
  auto conn = block_on(client.connect(server.addr(), std::string(kTestAlpn)));
  ASSERT_TRUE(conn) << conn.error().message;
  constexpr int kFrames = 256;
  constexpr std::size_t kFrameBytes = 64 << 10;  // 16 MiB in all: many windows
  std::atomic<int> sent = 0;
  asio::co_spawn(client.executor(), [](Connection c, std::atomic<int>& n) -> asio::awaitable<void> {
    auto link = co_await c.open_link(kFrameLimit);
    if (!link) co_return;
    for (int f = 0; f < kFrames; ++f) {
      if (!co_await link->send_frame(wire::Bytes(kFrameBytes, 0x55))) co_return;
      ++n;
    }
    (void)co_await link->recv_frame();  // keep the link until the endpoint shuts down
  }(*conn, sent), asio::detached);
  auto future = accepted.get_future();
  ASSERT_EQ(future.wait_for(secs(10)), std::future_status::ready);
  RawLink link = future.get();

  const std::uint64_t held = peak_until_still([&] { return server.buffered_receive_bytes(); });
  EXPECT_LE(held, config.stream_window_bytes + kFrameBytes) << "held " << held;
  EXPECT_LT(sent.load(), kFrames) << "the sender is held back";

  // One statement per co_await: g++ 12 loses a co_await inside `&&` (the loop then hung).
  auto frames = run_on(server, [](RawLink& l) -> asio::awaitable<int> {
    int n = 0;
    while (n < kFrames) {
      auto frame = co_await l.recv_frame();
      if (!frame) break;
      ++n;
    }
    co_return n;
  }(link), 30);
  EXPECT_EQ(frames, kFrames);
  EXPECT_EQ(sent.load(), kFrames);
  EXPECT_EQ(server.buffered_receive_bytes(), 0u);
  block_on(client.shutdown());
}

}  // namespace
}  // namespace receive_bounds_test
}  // namespace mosaik::transport::test
