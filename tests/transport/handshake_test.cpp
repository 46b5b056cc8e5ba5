// Handshake and connection behaviour: Ed25519 authentication both ways, the dialer's check
// of the PeerId, ALPN routing and the TLS exporter.
#include "transport_fixture.hpp"

namespace mosaik::transport::test {
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
  auto a = block_on(asio::co_spawn(client.executor(), on_loop(*conn, context), asio::use_awaitable));
  auto b = block_on(
      asio::co_spawn(server.executor(), on_loop(server_side, context), asio::use_awaitable));
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

TEST(TransportHandshake, an_address_list_without_usable_addresses_fails_with_no_address) {
  auto client = bind_or_die(SecretKey::generate());
  EndpointAddr empty{SecretKey::generate().public_key(), {}, std::nullopt};
  auto conn = block_on(timeout_s(10, client.connect(empty, std::string(kTestAlpn))));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().kind, ConnectError::Kind::kNoAddress);
}

}  // namespace
}  // namespace mosaik::transport::test
