// A peer that leaves — cleanly or by crashing — and a lossy network: links must fail with
// a clear, typed error in bounded time, or deliver every message once and in order.
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/use_future.hpp>

#include <chrono>
#include <optional>
#include <random>

#include "transport_fixture.hpp"

namespace mosaik::transport::test {
namespace failure_test {
namespace {

using namespace asio::experimental::awaitable_operators;
using mosaik::test::millis;
using mosaik::test::secs;

// The server half of the departure tests: accepts one link, confirms the first message,
// then holds the link open (its recv stays pending) until the endpoint goes away.
void serve_and_hold(Endpoint& server, std::promise<void>& got_first) {
  server.register_alpn(std::string(kTestAlpn), [&got_first](Connection conn) {
    auto serve = [](Connection c, std::promise<void>& ready) -> asio::awaitable<void> {
      auto link = co_await Link<Numbered>::accept(c);
      if (!link) co_return;
      if (co_await link->recv()) ready.set_value();
      (void)co_await link->recv();  // ends when the endpoint shuts down
    };
    auto executor = conn.executor();
    asio::co_spawn(executor, serve(conn, got_first), asio::detached);
  });
}

// Client half: opens a link, sends one message, then waits in recv. Returns how it ended.
std::future<std::expected<Numbered, LinkError>> open_and_wait(Endpoint& client, EndpointAddr to,
                                                              std::chrono::milliseconds bound) {
  auto body = [](Endpoint& ep, EndpointAddr addr) -> asio::awaitable<std::expected<Numbered, LinkError>> {
    auto link = co_await Link<Numbered>::open(ep, addr);
    if (!link) {
      co_return std::unexpected(LinkError{LinkError::Kind::kTransport, close_reason::UnexpectedClose,
                                          false, "open: " + link.error().message});
    }
    const Numbered first{0, "first"};
    (void)co_await link->send(first);
    co_return co_await link->recv();
  };
  return asio::co_spawn(client.executor(),
                        mosaik::test::timeout_ms(static_cast<double>(bound.count()),
                                                 body(client, std::move(to))),
                        asio::use_future);
}

TEST(TransportFailure, a_peer_shutting_down_mid_stream_fails_recv_with_graceful_shutdown) {
  std::optional<Endpoint> server = bind_or_die(SecretKey::generate());
  std::promise<void> got_first;
  auto server_ready = got_first.get_future();
  serve_and_hold(*server, got_first);
  auto client = bind_or_die(SecretKey::generate());

  auto outcome = open_and_wait(client, server->addr(), secs(10));
  ASSERT_EQ(server_ready.wait_for(secs(10)), std::future_status::ready);
  server.reset();  // graceful: CONNECTION_CLOSE with GracefulShutdown goes out

  ASSERT_EQ(outcome.wait_for(secs(10)), std::future_status::ready);
  auto got = outcome.get();
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, LinkError::Kind::kClosed) << got.error().message;
  EXPECT_EQ(got.error().reason, close_reason::GracefulShutdown) << got.error().message;
  EXPECT_TRUE(got.error().remote);
}

TEST(TransportFailure, a_crashed_peer_makes_recv_fail_within_the_idle_timeout) {
  auto server_config = loopback_config();
  server_config.faults = FaultConfig{};  // injection present, inactive for now
  std::optional<Endpoint> server = bind_or_die(SecretKey::generate(), server_config);
  std::promise<void> got_first;
  auto server_ready = got_first.get_future();
  serve_and_hold(*server, got_first);

  const auto idle = millis(1000);
  auto client_config = loopback_config();
  client_config.idle_timeout = idle;
  client_config.keep_alive = millis(200);
  auto client = bind_or_die(SecretKey::generate(), client_config);

  auto outcome = open_and_wait(client, server->addr(), secs(20));
  ASSERT_EQ(server_ready.wait_for(secs(10)), std::future_status::ready);
  // A crash: from now on nothing the server sends arrives, not even its close.
  FaultConfig blackhole;
  blackhole.drop = 1.0;
  ASSERT_TRUE(server->set_faults(blackhole));
  const auto crashed_at = std::chrono::steady_clock::now();
  server.reset();

  ASSERT_EQ(outcome.wait_for(secs(20)), std::future_status::ready);
  const auto noticed_after = std::chrono::steady_clock::now() - crashed_at;
  auto got = outcome.get();
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, LinkError::Kind::kTimedOut) << got.error().message;
  // The idle timer may have started up to one keep-alive before the crash; ngtcp2 also
  // never lets it be shorter than 3 PTO (tiny on loopback).
  EXPECT_LE(noticed_after, idle + millis(500));
}

TEST(TransportFailure, with_5_percent_loss_and_1_percent_duplication_every_message_arrives_once_in_order) {
  constexpr std::uint64_t kCount = 20'000;
  constexpr std::size_t kBody = 64;
  FaultConfig lossy;
  lossy.drop = 0.05;
  lossy.duplicate = 0.01;
  lossy.delay = 0.02;  // and some reordering: 2% held back by 2 ms
  lossy.delay_by = std::chrono::microseconds(2000);
  auto server_config = loopback_config();
  server_config.faults = lossy;
  server_config.faults->seed = 7;
  auto client_config = loopback_config();
  client_config.faults = lossy;
  client_config.faults->seed = 11;
  auto server = bind_or_die(SecretKey::generate(), server_config);
  auto client = bind_or_die(SecretKey::generate(), client_config);

  std::promise<std::string> server_result;
  auto server_done = server_result.get_future();
  server.register_alpn(std::string(kTestAlpn), [&server_result](Connection conn) {
    auto serve = [](Connection c, std::promise<std::string>& out) -> asio::awaitable<void> {
      auto link = co_await Link<Numbered>::accept(c);
      if (!link) {
        out.set_value("accept: " + link.error().message);
        co_return;
      }
      auto halves = std::move(*link).split();
      auto results = co_await (send_numbered(halves.first, kCount, kBody) &&
                               expect_numbered(halves.second, kCount, kBody));
      const std::string sent = std::get<0>(results);
      const std::string received = std::get<1>(results);
      out.set_value(sent.empty() ? received : sent);
    };
    auto executor = conn.executor();
    asio::co_spawn(executor, serve(conn, server_result), asio::detached);
  });

  auto verdict = run_on(client, [](Endpoint& ep, EndpointAddr to) -> asio::awaitable<std::string> {
    auto link = co_await Link<Numbered>::open(ep, to);
    if (!link) co_return "open: " + link.error().message;
    auto halves = std::move(*link).split();
    auto results = co_await (send_numbered(halves.first, kCount, kBody) &&
                             expect_numbered(halves.second, kCount, kBody));
    const std::string sent = std::get<0>(results);
    const std::string received = std::get<1>(results);
    co_return sent.empty() ? received : sent;
  }(client, server.addr()), 120);
  EXPECT_EQ(verdict, "");
  ASSERT_EQ(server_done.wait_for(secs(60)), std::future_status::ready);
  EXPECT_EQ(server_done.get(), "");
}

TEST(TransportFailure, endpoints_shut_down_with_links_open_and_links_fail_cleanly_afterwards) {
  std::optional<Endpoint> server = bind_or_die(SecretKey::generate());
  serve_echo(*server);
  std::optional<Endpoint> client = bind_or_die(SecretKey::generate());

  // Ten links with traffic in flight, held by this thread past both endpoints' lifetime.
  auto links = run_on(*client, [](Endpoint& ep, EndpointAddr to)
                                   -> asio::awaitable<std::vector<Link<Numbered>>> {
    std::vector<Link<Numbered>> out;
    for (int i = 0; i < 10; ++i) {
      auto link = co_await Link<Numbered>::open(ep, to);
      if (!link) break;
      const Numbered hello{static_cast<std::uint64_t>(i), std::string(1000, 'x')};
      (void)co_await link->send(hello);
      out.push_back(std::move(*link));
    }
    co_return out;
  }(*client, server->addr()));
  ASSERT_EQ(links.size(), 10u);

  client.reset();
  server.reset();

  // The endpoint is gone: operations fail at once with a clear reason instead of hanging.
  auto after = block_on(mosaik::test::timeout_s(5, links.front().recv()));
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().reason, close_reason::GracefulShutdown) << after.error().message;
  links.clear();  // released after their endpoint: no leak, no use-after-free (ASan)
}

// Whether `server` still answers a real client's echo after what was thrown at it.
std::string echo_verdict(Endpoint& server) {
  auto client = bind_or_die(SecretKey::generate());
  return run_on(client, [](Endpoint& ep, EndpointAddr to) -> asio::awaitable<std::string> {
    auto link = co_await Link<Numbered>::open(ep, to);
    if (!link) co_return "open: " + link.error().message;
    const Numbered ping{5, "after the noise"};
    if (!co_await link->send(ping)) co_return "send failed";
    auto echo = co_await link->recv();
    if (!echo || echo->seq != 5) co_return "no echo";
    co_return "";
  }(client, server.addr()));
}

// ngtcp2 0.12 asserts on a 0-byte datagram: without the endpoint's guard this aborts the
// test process. Short datagrams (1-7 bytes, below any QUIC header) come along.
TEST(TransportFailure, empty_and_tiny_datagrams_are_dropped_and_the_endpoint_keeps_serving) {
  auto server = bind_or_die(SecretKey::generate());
  serve_echo(server);
  const auto target = *server.addr().direct_addresses.begin();
  asio::io_context io;
  asio::ip::udp::socket noise(io, UdpEndpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::vector<std::uint8_t> packet;
  for (std::size_t size = 0; size < 8; ++size) {
    for (int first : {0x00, 0x40, 0x80, 0xc0, 0xff}) {
      packet.assign(size, static_cast<std::uint8_t>(first));
      std::error_code ignored;
      noise.send_to(asio::buffer(packet.data(), packet.size()), target, 0, ignored);
      ASSERT_FALSE(ignored) << ignored.message();
    }
  }
  EXPECT_EQ(echo_verdict(server), "");
}

TEST(TransportFailure, random_datagrams_and_forged_initials_do_not_disturb_the_endpoint) {
  auto server = bind_or_die(SecretKey::generate());
  serve_echo(server);
  const auto target = *server.addr().direct_addresses.begin();

  // Noise: random bytes, and random bytes dressed as QUIC v1 Initial packets (long header,
  // version 1, plausible CID lengths) that must be refused without crashing or leaking.
  asio::io_context io;
  asio::ip::udp::socket noise(io, UdpEndpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::mt19937_64 rng(42);
  std::vector<std::uint8_t> packet;
  for (int i = 0; i < 2000; ++i) {
    packet.resize(rng() % 1400);  // 0 bytes included
    for (auto& b : packet) b = static_cast<std::uint8_t>(rng());
    if (i % 2 == 0 && packet.size() > 1250) {
      packet.resize(1250);
      packet[0] = 0xc0;                                // long header, Initial
      packet[1] = 0; packet[2] = 0; packet[3] = 0; packet[4] = 1;  // version 1
      packet[5] = 8;                                   // DCID length
      packet[14] = 8;                                  // SCID length
    }
    std::error_code ignored;
    noise.send_to(asio::buffer(packet), target, 0, ignored);
  }

  // Still serving: a real client connects and gets its echo.
  EXPECT_EQ(echo_verdict(server), "");
}

}  // namespace
}  // namespace failure_test
}  // namespace mosaik::transport::test
