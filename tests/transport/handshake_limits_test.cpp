// Handshakes a node holds before a peer proved anything are bounded: in all and per source
// address. Deaf clients (they never hear the server) send real Initials and never finish,
// so the server holds each until its handshake timeout unless a bound drops it.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <thread>
#include <vector>

#include "mosaik/transport/bounded_alpn.hpp"
#include "transport_fixture.hpp"

namespace mosaik::transport::test {
namespace handshake_limits_test {
namespace {

using mosaik::test::millis;
using mosaik::test::secs;

class DeafPath final : public PacketPath, private PacketSink {
 public:
  explicit DeafPath(std::unique_ptr<PacketPath> inner) : inner_(std::move(inner)) {}
  UdpEndpoint local_endpoint() const override { return inner_->local_endpoint(); }
  void start(PacketSink&) override { inner_->start(*this); }
  void send(const UdpEndpoint& to, std::span<const std::uint8_t> data, std::size_t segment) override {
    inner_->send(to, data, segment);
  }
  void close() override { inner_->close(); }

 private:
  void on_packet(const UdpEndpoint&, std::span<const std::uint8_t>) override {}
  void on_batch_end() override {}
  std::unique_ptr<PacketPath> inner_;
};

Endpoint deaf_client() {
  auto config = loopback_config();
  config.packet_path_factory = [](asio::any_io_executor ex, const UdpEndpoint& at)
      -> std::expected<std::unique_ptr<PacketPath>, std::string> {
    auto udp = open_udp_path(ex, at);
    if (!udp) return std::unexpected(udp.error());
    return std::make_unique<DeafPath>(std::move(*udp));
  };
  return bind_or_die(SecretKey::generate(), config);
}

// Starts `count` handshakes that never finish, then returns the most the server held while
// they arrived (sampled until the count stops changing, bounded).
std::size_t flood(Endpoint& server, Endpoint& deaf, int count) {
  for (int i = 0; i < count; ++i) {
    asio::co_spawn(deaf.executor(), [](Endpoint ep, EndpointAddr to) -> asio::awaitable<void> {
      to.id = SecretKey::generate().public_key();  // a new dial each time, never reused
      (void)co_await ep.connect(to, std::string(kTestAlpn));
    }(deaf, server.addr()), asio::detached);
  }
  std::size_t peak = 0;
  std::size_t last = SIZE_MAX;
  int still = 0;
  for (int i = 0; i < 100 && still < 10; ++i) {
    std::this_thread::sleep_for(millis(50));  // sampling an observation
    const std::size_t now = server.open_connections();
    peak = std::max(peak, now);
    still = now == last ? still + 1 : 0;
    last = now;
  }
  return peak;
}

// By default from 127.0.0.2: another source address than the flood's 127.0.0.1.
bool honest_client_connects(Endpoint& server, const char* from = "127.0.0.2", double within_s = 20) {
  auto config = loopback_config();
  config.addresses = {UdpEndpoint(asio::ip::make_address(from), 0)};
  auto client = bind_or_die(SecretKey::generate(), config);
  auto conn = block_on(mosaik::test::timeout_s(within_s, client.connect(server.addr(), std::string(kTestAlpn))));
  return conn.has_value();
}

TEST(HandshakeLimits, handshakes_from_one_source_are_bounded_and_others_still_connect) {
  auto config = loopback_config();
  config.max_pending_handshakes_per_source = 8;
  auto server = bind_or_die(SecretKey::generate(), config);
  serve_echo(server);
  auto deaf = deaf_client();
  EXPECT_LE(flood(server, deaf, 100), 8u);
  EXPECT_TRUE(honest_client_connects(server));
}

TEST(HandshakeLimits, handshakes_in_all_are_bounded) {
  auto config = loopback_config();
  config.max_pending_handshakes = 12;
  auto server = bind_or_die(SecretKey::generate(), config);
  serve_echo(server);
  auto deaf = deaf_client();
  EXPECT_LE(flood(server, deaf, 100), 12u);
}

// Deaf clients stand for spoofed source addresses: neither hears the Retry. Past the
// threshold they get one and hold nothing, so the slots stay free for clients that answer,
// even one on the flood's own address.
TEST(HandshakeLimits, past_the_retry_threshold_unproven_sources_hold_nothing) {
  auto config = loopback_config();
  config.max_pending_handshakes = 64;
  config.max_pending_handshakes_per_source = 1000;
  config.retry_from_pending_handshakes = 8;
  auto server = bind_or_die(SecretKey::generate(), config);
  serve_echo(server);
  auto deaf = deaf_client();
  EXPECT_LE(flood(server, deaf, 100), 8u);
  // Well within the handshake timeout (5 s) that would otherwise free the flood's slots.
  EXPECT_TRUE(honest_client_connects(server, "127.0.0.1", 3));
}

// A client that proved its address (it answered the Retry) while every slot is taken is
// refused at once with CONNECTION_REFUSED, so it can back off, rather than retransmitting
// its Initial into silence until its idle timeout. The slots are held by deaf clients.
TEST(HandshakeLimits, a_proven_client_past_the_bound_is_refused_at_once_as_busy) {
  auto config = loopback_config();
  config.max_pending_handshakes = 4;
  config.max_pending_handshakes_per_source = 1000;
  config.retry_from_pending_handshakes = 1000;  // only a full table sends a Retry
  auto server = bind_or_die(SecretKey::generate(), config);
  serve_echo(server);
  auto deaf = deaf_client();
  ASSERT_EQ(flood(server, deaf, 20), 4u);

  auto client_config = loopback_config();
  client_config.addresses = {UdpEndpoint(asio::ip::make_address("127.0.0.2"), 0)};
  auto client = bind_or_die(SecretKey::generate(), client_config);
  // Well within the client's idle timeout, which a silent drop would have it wait out (the
  // helper fails the test if no answer comes in time).
  auto conn = block_on(mosaik::test::timeout_s(2, client.connect(server.addr(), std::string(kTestAlpn))));
  ASSERT_FALSE(conn.has_value());
  EXPECT_EQ(conn.error().kind, ConnectError::Kind::kBusy) << conn.error().message;
  EXPECT_NE(conn.error().message.find("CONNECTION_REFUSED"), std::string::npos) << conn.error().message;
  EXPECT_EQ(server.open_connections(), 4u);  // the refusal kept nothing
}

// A protocol registered with a bound on its connections: past it, a client asking for that
// protocol is refused at its ClientHello as busy (at once, and nothing is held for it),
// a client of another protocol still connects, and a freed slot takes the next client.
TEST(HandshakeLimits, a_protocol_at_its_bound_of_connections_refuses_the_next_client_as_busy) {
  const std::string bounded = "/mosaik/test/bounded";
  auto server = bind_or_die(SecretKey::generate());
  serve_echo(server);
  register_bounded_alpn(server, bounded, [](Connection) {}, 2);
  std::vector<Endpoint> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(bind_or_die(SecretKey::generate()));
  std::vector<Connection> held;
  for (int i = 0; i < 2; ++i) {
    auto conn = block_on(mosaik::test::timeout_s(10, clients[i].connect(server.addr(), bounded)));
    ASSERT_TRUE(conn.has_value()) << conn.error().message;
    held.push_back(std::move(*conn));
  }
  // Well within the client's handshake timeout, which a silent drop would have it wait out.
  auto refused = block_on(mosaik::test::timeout_s(2, clients[2].connect(server.addr(), bounded)));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind, ConnectError::Kind::kBusy) << refused.error().message;
  EXPECT_NE(refused.error().message.find("CONNECTION_REFUSED"), std::string::npos) << refused.error().message;
  EXPECT_EQ(server.open_connections(), 2u);  // the refusal kept nothing
  EXPECT_EQ(server.traffic().failures(HandshakeFailure::kBusy), 1u);
  auto other = block_on(mosaik::test::timeout_s(10, clients[2].connect(server.addr(), std::string(kTestAlpn))));
  EXPECT_TRUE(other.has_value()) << other.error().message;

  held.front().close(close_reason::Success);
  // The server learns of the close a packet later: each refusal in between is answered at
  // once, so the attempts are bounded in count and time.
  bool connected = false;
  for (int i = 0; i < 100 && !connected; ++i) {
    auto again = block_on(mosaik::test::timeout_s(2, clients[2].connect(server.addr(), bounded)));
    connected = again.has_value();
    if (!connected) {
      ASSERT_EQ(again.error().kind, ConnectError::Kind::kBusy) << again.error().message;
      std::this_thread::sleep_for(millis(20));  // pacing the attempts, not synchronisation
    }
  }
  EXPECT_TRUE(connected);
}

}  // namespace
}  // namespace handshake_limits_test
}  // namespace mosaik::transport::test
