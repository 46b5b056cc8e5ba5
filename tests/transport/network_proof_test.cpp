// The network proof (docs/decisions/0206): with a network secret, a connection reaches an
// ALPN handler (acceptor) or leaves connect() (dialer) only once both ends proved the
// secret; anything else is closed with a typed reason, in bounded time.
#include <atomic>

#include "transport_fixture.hpp"

namespace mosaik::transport::test {
namespace network_proof_test {
namespace {

using mosaik::test::millis;
using mosaik::test::secs;
using mosaik::test::timeout_s;

EndpointConfig holding(std::string_view secret) {
  auto config = loopback_config();
  config.network_proof_key =
      NetworkSecret::from_passphrase(secret).derive(NetworkId("proof-test"), "transport-proof");
  return config;
}

// An echo server that counts the connections its handler was given.
struct CountingServer {
  explicit CountingServer(EndpointConfig config) : endpoint(bind_or_die(SecretKey::generate(), config)) {
    endpoint.register_alpn(std::string(kTestAlpn), [this](Connection conn) {
      ++handed_over;
      auto executor = conn.executor();
      asio::co_spawn(executor, echo_connection(std::move(conn)), asio::detached);
    });
  }
  // Read after open_connections(), which runs on the endpoint's loop behind every handler
  // posted before it.
  int handed_over_so_far() {
    (void)endpoint.open_connections();
    return handed_over.load();
  }
  Endpoint endpoint;
  std::atomic<int> handed_over{0};
};

// What one connect-send-echo round found.
struct Outcome {
  std::optional<ConnectError> connect_error;  // connect() failed
  std::optional<LinkError> link_error;        // connect() returned, the link failed
  bool echoed = false;
};

asio::awaitable<Outcome> ping(Endpoint& client, EndpointAddr server) {
  Outcome out;
  auto conn = co_await client.connect(std::move(server), std::string(kTestAlpn));
  if (!conn) {
    out.connect_error = conn.error();
    co_return out;
  }
  auto raw = co_await conn->open_link();
  if (!raw) {
    out.link_error = raw.error();
    co_return out;
  }
  Link<Numbered> link(std::move(*raw));
  const Numbered message{7, "admitted"};
  if (auto sent = co_await link.send(message); !sent) {
    out.link_error = sent.error();
    co_return out;
  }
  auto echo = co_await link.recv();
  if (!echo) {
    out.link_error = echo.error();
    co_return out;
  }
  out.echoed = *echo == message;
  co_return out;
}

Outcome ping_from(Endpoint& client, Endpoint& server) {
  return run_on(client, ping(client, server.addr()), 20);
}

TEST(NetworkProof, peers_holding_the_same_secret_connect_and_exchange_data) {
  CountingServer server(holding("shared"));
  auto client = bind_or_die(SecretKey::generate(), holding("shared"));
  const auto out = ping_from(client, server.endpoint);
  ASSERT_FALSE(out.connect_error) << out.connect_error->message;
  ASSERT_FALSE(out.link_error) << out.link_error->message;
  EXPECT_TRUE(out.echoed);
  EXPECT_EQ(server.handed_over_so_far(), 1);
}

TEST(NetworkProof, a_dialer_with_another_secret_is_refused_before_any_handler) {
  CountingServer server(holding("shared"));
  auto client = bind_or_die(SecretKey::generate(), holding("guessed"));
  const auto out = ping_from(client, server.endpoint);
  ASSERT_TRUE(out.connect_error);
  EXPECT_EQ(out.connect_error->kind, ConnectError::Kind::kInvalidNetworkProof) << out.connect_error->message;
  ASSERT_TRUE(out.connect_error->reason);
  EXPECT_EQ(*out.connect_error->reason, close_reason::InvalidNetworkProof);
  EXPECT_EQ(server.handed_over_so_far(), 0);
}

TEST(NetworkProof, a_dialer_without_a_secret_fails_to_connect_with_invalid_network_proof) {
  CountingServer server(holding("shared"));
  auto client = bind_or_die(SecretKey::generate());
  const auto out = ping_from(client, server.endpoint);
  ASSERT_TRUE(out.connect_error);
  EXPECT_EQ(out.connect_error->kind, ConnectError::Kind::kInvalidNetworkProof) << out.connect_error->message;
  EXPECT_EQ(server.handed_over_so_far(), 0);
}

TEST(NetworkProof, a_dialer_with_a_secret_fails_to_connect_to_an_acceptor_without_one) {
  CountingServer server(loopback_config());
  auto client = bind_or_die(SecretKey::generate(), holding("shared"));
  const auto out = ping_from(client, server.endpoint);
  ASSERT_TRUE(out.connect_error);
  EXPECT_EQ(out.connect_error->kind, ConnectError::Kind::kInvalidNetworkProof) << out.connect_error->message;
  EXPECT_EQ(server.handed_over_so_far(), 0);
}

// The dialer's check of the acceptor's proof, with an acceptor that admits it unchecked.
TEST(NetworkProof, a_dialer_refuses_an_acceptor_that_proves_another_secret) {
  auto server_config = holding("other");
  server_config.skip_network_proof_checks = true;
  CountingServer server(server_config);
  auto client = bind_or_die(SecretKey::generate(), holding("shared"));
  const auto out = ping_from(client, server.endpoint);
  ASSERT_TRUE(out.connect_error) << "the dialer accepted the acceptor's proof";
  EXPECT_EQ(out.connect_error->kind, ConnectError::Kind::kInvalidNetworkProof) << out.connect_error->message;
}

// The acceptor's own checks, with dialers that do not stop themselves.
TEST(NetworkProof, the_acceptor_refuses_a_dialer_without_a_secret_that_goes_ahead) {
  CountingServer server(holding("shared"));
  auto config = loopback_config();
  config.skip_network_proof_checks = true;
  auto client = bind_or_die(SecretKey::generate(), config);
  const auto out = ping_from(client, server.endpoint);
  ASSERT_FALSE(out.connect_error) << out.connect_error->message;
  ASSERT_TRUE(out.link_error) << "the dialer was served";
  EXPECT_EQ(out.link_error->reason, close_reason::InvalidNetworkProof) << out.link_error->message;
  EXPECT_EQ(server.handed_over_so_far(), 0);
}

TEST(NetworkProof, an_acceptor_without_a_secret_refuses_a_dialer_that_proves_one) {
  CountingServer server(loopback_config());
  auto config = holding("shared");
  config.skip_network_proof_checks = true;
  auto client = bind_or_die(SecretKey::generate(), config);
  const auto out = ping_from(client, server.endpoint);
  ASSERT_FALSE(out.connect_error) << out.connect_error->message;
  ASSERT_TRUE(out.link_error) << "the dialer was served";
  EXPECT_EQ(out.link_error->reason, close_reason::InvalidNetworkProof) << out.link_error->message;
  EXPECT_EQ(server.handed_over_so_far(), 0);
}

TEST(NetworkProof, a_dialer_that_opens_a_link_before_proving_is_refused) {
  CountingServer server(holding("shared"));
  auto config = holding("shared");
  config.skip_network_proof_checks = true;
  config.withhold_network_proof = true;
  auto client = bind_or_die(SecretKey::generate(), config);
  const auto out = ping_from(client, server.endpoint);
  ASSERT_FALSE(out.connect_error) << out.connect_error->message;
  ASSERT_TRUE(out.link_error) << "the dialer was served";
  EXPECT_EQ(out.link_error->reason, close_reason::ProtocolViolation) << out.link_error->message;
  EXPECT_EQ(server.handed_over_so_far(), 0);
}

TEST(NetworkProof, a_dialer_that_completes_tls_but_never_proves_is_closed_after_the_handshake_timeout) {
  auto server_config = holding("shared");
  server_config.handshake_timeout = millis(500);
  CountingServer server(server_config);
  auto client_config = holding("shared");
  client_config.withhold_network_proof = true;
  client_config.handshake_timeout = secs(60);  // only the acceptor's deadline can end it in time
  auto client = bind_or_die(SecretKey::generate(), client_config);
  const auto out = ping_from(client, server.endpoint);  // bounded by run_on's 20 s
  ASSERT_TRUE(out.connect_error);
  ASSERT_TRUE(out.connect_error->reason) << out.connect_error->message;
  EXPECT_EQ(*out.connect_error->reason, close_reason::Timeout) << out.connect_error->message;
  EXPECT_EQ(server.handed_over_so_far(), 0);
}

}  // namespace
}  // namespace network_proof_test
}  // namespace mosaik::transport::test
