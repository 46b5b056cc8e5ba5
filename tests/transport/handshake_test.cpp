// Handshake and connection behaviour: Ed25519 authentication both ways, the dialer's check
// of the PeerId, ALPN routing and the TLS exporter.
#include <asio/use_future.hpp>

#include <future>

#include "transport_fixture.hpp"

namespace mosaik::transport::test {
namespace handshake_test {
namespace {

using mosaik::test::secs;
using mosaik::test::timeout_s;

TEST(TransportHandshake, both_ends_learn_each_others_peer_id_and_share_an_exporter) {
  auto server_key = SecretKey::generate();
  auto client_key = SecretKey::generate();
  auto server = bind_or_die(server_key);
  auto client = bind_or_die(client_key);

  std::promise<Connection> accepted_promise;
  auto accepted = accepted_promise.get_future();
  server.register_alpn(std::string(kTestAlpn), [&accepted_promise](Connection conn) {
    accepted_promise.set_value(std::move(conn));
  });

  auto conn = block_on(timeout_s(10, client.connect(server.addr(), std::string(kTestAlpn))));
  ASSERT_TRUE(conn) << conn.error().message;
  EXPECT_EQ(conn->peer_id(), server_key.public_key());
  EXPECT_EQ(conn->alpn(), kTestAlpn);

  ASSERT_EQ(accepted.wait_for(secs(10)), std::future_status::ready);
  Connection server_side = accepted.get();
  EXPECT_EQ(server_side.peer_id(), client_key.public_key());
  EXPECT_EQ(server_side.alpn(), kTestAlpn);

  // Both sides derive the same exporter value: the session secret is shared and bound.
  const std::uint8_t context[] = {1, 2, 3};
  auto on_loop = [](Connection c, std::span<const std::uint8_t> ctx) -> asio::awaitable<wire::Bytes> {
    auto out = c.export_keying_material("EXPORTER-mosaik-test", ctx, 32);
    co_return out ? *out : wire::Bytes{};
  };
  // Each connection is read on its own endpoint's loop (bounded there by run_on's timeout).
  auto a = run_on(client, on_loop(*conn, context), 10);
  auto b = run_on(server, on_loop(server_side, context), 10);
  ASSERT_EQ(a.size(), 32u);
  EXPECT_EQ(a, b);
}

TEST(TransportHandshake, dialing_with_the_wrong_peer_id_fails_with_peer_mismatch) {
  auto server = bind_or_die(SecretKey::generate());
  serve_echo(server);
  auto client = bind_or_die(SecretKey::generate());
  EndpointAddr wrong = server.addr();
  wrong.id = SecretKey::generate().public_key();

  auto conn = block_on(timeout_s(10, client.connect(wrong, std::string(kTestAlpn))));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().kind, ConnectError::Kind::kPeerMismatch) << conn.error().message;
}

TEST(TransportHandshake, unknown_alpn_fails_with_invalid_alpn) {
  auto server = bind_or_die(SecretKey::generate());
  serve_echo(server);
  auto client = bind_or_die(SecretKey::generate());

  auto conn = block_on(timeout_s(10, client.connect(server.addr(), "/mosaik/nobody-serves-this")));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().kind, ConnectError::Kind::kInvalidAlpn) << conn.error().message;
  ASSERT_TRUE(conn.error().reason.has_value());
  EXPECT_EQ(*conn.error().reason, close_reason::InvalidAlpn);
}

TEST(TransportHandshake, a_second_dial_to_the_same_peer_and_alpn_reuses_the_connection) {
  auto server = bind_or_die(SecretKey::generate());
  serve_echo(server);
  auto client = bind_or_die(SecretKey::generate());

  auto first = block_on(timeout_s(10, client.connect(server.addr(), std::string(kTestAlpn))));
  auto second = block_on(timeout_s(10, client.connect(server.addr(), std::string(kTestAlpn))));
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->impl(), second->impl());
}

// A connection closing once its data is delivered is not handed to a new dial: a link
// opened on it would die with it (discovery saw "closed locally with Success" and took a
// live peer for dead).
TEST(TransportHandshake, a_dial_does_not_reuse_a_connection_that_closes_after_delivery) {
  auto server = bind_or_die(SecretKey::generate());
  serve_echo(server);
  auto client = bind_or_die(SecretKey::generate());
  const auto server_addr = server.addr();
  const bool shared = run_on(client, [](Endpoint ep, EndpointAddr to) -> asio::awaitable<bool> {
    auto conn = co_await ep.connect(to, std::string(kTestAlpn));
    if (!conn) throw std::runtime_error(conn.error().message);
    auto link = co_await conn->open_link();
    if (!link) throw std::runtime_error(link.error().message);
    // Far more than one round trip carries: it is still in flight when the dial runs.
    const wire::Bytes large(8 << 20, 0x5a);
    auto sent = co_await link->send_frame(large);
    if (!sent) throw std::runtime_error(sent.error().message);
    conn->close_after_delivery(close_reason::Success);
    auto again = co_await ep.connect(to, std::string(kTestAlpn));
    if (!again) throw std::runtime_error(again.error().message);
    co_return conn->impl() == again->impl();
  }(client, server_addr));
  EXPECT_FALSE(shared);
}

TEST(TransportHandshake, an_address_without_a_listener_times_out_within_the_handshake_timeout) {
  auto client_config = loopback_config();
  client_config.handshake_timeout = mosaik::test::millis(500);
  auto client = bind_or_die(SecretKey::generate(), client_config);
  EndpointAddr nowhere{SecretKey::generate().public_key(),
                       {UdpEndpoint(asio::ip::make_address("127.0.0.1"), 9)},
                       std::nullopt};
  auto conn = block_on(timeout_s(10, client.connect(nowhere, std::string(kTestAlpn))));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().kind, ConnectError::Kind::kTimedOut) << conn.error().message;
}

// Past max_connections nothing is kept: the third client, once it proved its address with
// the Retry it is sent, is refused as busy (decision 0212) rather than left to time out.
TEST(TransportHandshake, an_endpoint_holding_max_connections_refuses_a_further_handshake_as_busy) {
  auto server_config = loopback_config();
  server_config.max_connections = 2;
  auto server = bind_or_die(SecretKey::generate(), server_config);
  serve_echo(server);
  auto first = bind_or_die(SecretKey::generate());
  auto second = bind_or_die(SecretKey::generate());
  auto third_config = loopback_config();
  third_config.handshake_timeout = mosaik::test::millis(500);
  auto third = bind_or_die(SecretKey::generate(), third_config);

  // Held open for the whole test: the server counts both.
  auto held_first = block_on(timeout_s(10, first.connect(server.addr(), std::string(kTestAlpn))));
  auto held_second = block_on(timeout_s(10, second.connect(server.addr(), std::string(kTestAlpn))));
  ASSERT_TRUE(held_first && held_second);
  auto refused = block_on(timeout_s(10, third.connect(server.addr(), std::string(kTestAlpn))));
  ASSERT_FALSE(refused) << "a third connection was accepted beyond max_connections = 2";
  EXPECT_EQ(refused.error().kind, ConnectError::Kind::kBusy) << refused.error().message;
  EXPECT_EQ(server.open_connections(), 2u);
}

TEST(TransportHandshake, an_address_list_without_usable_addresses_fails_with_no_address) {
  auto client = bind_or_die(SecretKey::generate());
  EndpointAddr empty{SecretKey::generate().public_key(), {}, std::nullopt};
  auto conn = block_on(timeout_s(10, client.connect(empty, std::string(kTestAlpn))));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().kind, ConnectError::Kind::kNoAddress);
}

TEST(TransportHandshake, endpoints_on_a_callers_executor_connect_and_shut_down) {
  asio::io_context context;
  auto server = Endpoint::bind(SecretKey::generate(), loopback_config(), context.get_executor());
  auto client = Endpoint::bind(SecretKey::generate(), loopback_config(), context.get_executor());
  ASSERT_TRUE(server && client);
  serve_echo(*server);

  auto body = [](Endpoint& c, Endpoint& s) -> asio::awaitable<std::string> {
    std::string verdict;
    auto link = co_await Link<Numbered>::open(c, s.addr());
    if (!link) {
      verdict = "open: " + link.error().message;
    } else {
      const Numbered ping{9, "same loop"};
      if (!co_await link->send(ping)) verdict = "send failed";
      auto echo = co_await link->recv();
      if (!echo || echo->seq != 9) verdict = "no echo";
    }
    co_await c.shutdown();
    co_await s.shutdown();
    co_return verdict;
  };
  auto result = asio::co_spawn(context, mosaik::test::timeout_s(10, body(*client, *server)),
                               asio::use_future);
  context.run();  // returns once shutdown released every socket and timer
  ASSERT_EQ(result.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_EQ(result.get(), "");
}

// A task on the endpoint's loop may hold its last handle (a dial still running when the test
// or the application let go of its own copy): releasing it there must not join the loop's
// thread from itself (that aborted the process).
TEST(TransportLifecycle, the_last_handle_released_on_the_endpoints_own_thread_ends_it_cleanly) {
  auto endpoint = bind_or_die(SecretKey::generate(), loopback_config());
  std::promise<void> released;
  auto done = released.get_future();
  const auto loop = endpoint.executor();
  asio::post(loop, [last = std::move(endpoint), &released]() mutable {
    { Endpoint gone = std::move(last); }
    released.set_value();
  });
  ASSERT_EQ(done.wait_for(secs(5)), std::future_status::ready);
}

}  // namespace
}  // namespace handshake_test
}  // namespace mosaik::transport::test
