// A peer that leaves — cleanly or by crashing — and a lossy network: links must fail with
// a clear, typed error in bounded time, or deliver every message once and in order.
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/use_future.hpp>

#include <chrono>
#include <optional>

#include "transport_fixture.hpp"

namespace mosaik::transport::test {
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
  auto after = block_on(links.front().recv());
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().reason, close_reason::GracefulShutdown) << after.error().message;
  links.clear();  // released after their endpoint: no leak, no use-after-free (ASan)
}

}  // namespace
}  // namespace mosaik::transport::test
