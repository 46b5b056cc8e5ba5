// What a node advertises and how a dialer uses it: a wildcard bind advertises reachable
// interface addresses (never 0.0.0.0), an explicit advertised address replaces them, and a
// dial races a peer's addresses so dead ones cost a stagger, not a handshake timeout.
#include <asio/ip/udp.hpp>

#include <algorithm>
#include <array>

#include "../../src/transport/interface_addresses.hpp"
#include "transport_fixture.hpp"

namespace mosaik::transport::test {
namespace addresses_test {
namespace {

using mosaik::test::timeout_s;
using Clock = std::chrono::steady_clock;

UdpEndpoint at(const char* address, unsigned short port = 0) {
  return UdpEndpoint(asio::ip::make_address(address), port);
}

TEST(Addresses, a_wildcard_expands_to_interface_addresses_with_its_port) {
  const auto v4 = detail::advertisable(at("0.0.0.0", 4242));
  ASSERT_FALSE(v4.empty()) << "this host has at least a loopback address";
  for (const auto& ep : v4) {
    EXPECT_FALSE(ep.address().is_unspecified()) << ep;
    EXPECT_TRUE(ep.address().is_v4()) << ep;
    EXPECT_EQ(ep.port(), 4242);
  }
  for (const auto& ep : detail::advertisable(at("::", 4242))) {
    EXPECT_TRUE(ep.address().is_v6()) << ep;
    EXPECT_FALSE(ep.address().to_v6().is_link_local()) << ep;
  }
  EXPECT_EQ(detail::advertisable(at("127.0.0.1", 7)), std::vector<UdpEndpoint>{at("127.0.0.1", 7)});
}

TEST(Addresses, loopback_is_advertised_only_when_nothing_else_is_up) {
  const auto all = detail::interface_addresses(false);
  const bool only_loopback = std::all_of(all.begin(), all.end(), [](const auto& a) { return a.is_loopback(); });
  const bool any_loopback = std::any_of(all.begin(), all.end(), [](const auto& a) { return a.is_loopback(); });
  EXPECT_TRUE(only_loopback || !any_loopback);
}

TEST(Addresses, a_node_bound_to_the_wildcard_advertises_a_dialable_address_and_is_reached) {
  auto config = loopback_config();
  config.addresses = {at("0.0.0.0")};
  auto server = bind_or_die(SecretKey::generate(), config);
  serve_echo(server);
  const auto advertised = server.addr();
  ASSERT_FALSE(advertised.direct_addresses.empty());
  for (const auto& ep : advertised.direct_addresses) {
    EXPECT_FALSE(ep.address().is_unspecified()) << ep;
    EXPECT_NE(ep.port(), 0) << ep;
  }
  for (const char* client_bind : {"127.0.0.1", "0.0.0.0"}) {
    auto client_config = loopback_config();
    client_config.addresses = {at(client_bind)};
    auto client = bind_or_die(SecretKey::generate(), client_config);
    // Large enough for segmented (GSO) sends both ways, which carry the reply source too.
    auto echoed = run_on(client, [](Endpoint& ep, EndpointAddr to) -> asio::awaitable<std::string> {
      auto link = co_await Link<Numbered>::open(ep, to);
      if (!link) co_return "open: " + link.error().message;
      const Numbered big{1, body_for(1, 512 << 10)};
      if (auto sent = co_await link->send(big); !sent) co_return "send: " + sent.error().message;
      auto got = co_await link->recv();
      if (!got) co_return "recv: " + got.error().message;
      co_return got->body == big.body ? "echoed" : "corrupt";
    }(client, advertised), 20);
    EXPECT_EQ(echoed, "echoed") << "from " << client_bind;
  }
}

TEST(Addresses, an_explicit_advertised_address_replaces_the_bound_ones) {
  auto config = loopback_config();
  config.advertised_addresses = {at("203.0.113.7", 9000)};
  auto server = bind_or_die(SecretKey::generate(), config);
  EXPECT_EQ(server.addr().direct_addresses, std::set<SocketAddr>{at("203.0.113.7", 9000)});
}

TEST(Addresses, an_unspecified_address_is_never_dialed) {
  auto server = bind_or_die(SecretKey::generate());
  serve_echo(server);
  auto client = bind_or_die(SecretKey::generate());
  EndpointAddr wildcard_only(server.id(), {at("0.0.0.0", server.addr().direct_addresses.begin()->port())});
  auto conn = block_on(timeout_s(10, client.connect(wildcard_only, std::string(kTestAlpn))));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().kind, ConnectError::Kind::kNoAddress) << conn.error().message;
}

// Sockets that read and never answer: addresses a peer advertised but cannot be reached at.
struct DeadAddress {
  asio::io_context io;
  asio::ip::udp::socket socket{io, at("127.0.0.2")};
  std::size_t datagrams() {
    std::size_t n = 0;
    std::array<char, 2048> buf;
    socket.non_blocking(true);
    for (;;) {
      std::error_code ec;
      socket.receive(asio::buffer(buf), 0, ec);
      if (ec) return n;  // would_block: nothing more queued
      ++n;
    }
  }
};

TEST(Addresses, a_dial_races_the_addresses_and_tries_the_last_good_one_first) {
  auto config = loopback_config();
  config.addresses = {at("127.0.0.3")};  // sorts after the dead ones: tried last at first
  auto server = bind_or_die(SecretKey::generate(), config);
  serve_echo(server);
  DeadAddress dead_a, dead_b;
  std::set<SocketAddr> addresses = server.addr().direct_addresses;
  addresses.insert(dead_a.socket.local_endpoint());
  addresses.insert(dead_b.socket.local_endpoint());
  const EndpointAddr peer(server.id(), addresses);
  auto client = bind_or_die(SecretKey::generate());

  const auto started = Clock::now();
  auto first = block_on(timeout_s(10, client.connect(peer, std::string(kTestAlpn))));
  ASSERT_TRUE(first) << first.error().message;
  // Two dead addresses cost two staggers, far from two handshake timeouts (5 s each).
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(3));
  EXPECT_GE(dead_a.datagrams() + dead_b.datagrams(), 2u) << "both dead addresses were tried";

  run_on(client, [](Connection c) -> asio::awaitable<bool> {
    c.close(close_reason::GracefulShutdown);
    co_return true;
  }(*first));
  auto second = block_on(timeout_s(10, client.connect(peer, std::string(kTestAlpn))));
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(dead_a.datagrams() + dead_b.datagrams(), 0u) << "the last good address won at once";
}

}  // namespace
}  // namespace addresses_test
}  // namespace mosaik::transport::test
