// What a user reads at the default level (info) through one node's lifecycle: a peer that
// joins, a peer that departs, and a bootstrap peer that cannot be reached (warn).
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "captured_log.hpp"
#include "mosaik/primitives/async/block_on.hpp"
#include "mosaik/primitives/log.hpp"
#include "node_fixture.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace node_log_test {
namespace {

const NetworkId kNet = "node-log-test";

TEST(NodeLog, a_join_and_a_departure_are_logged_at_info_with_the_peer) {
  test::CapturedLog discovery_log("discovery");
  {
    auto a = block_on(test::make_node(kNet));
    std::string b_id;
    {
      auto b = block_on(test::make_node(kNet, test::fast_discovery().with_bootstrap(a.local().addr())));
      b_id = fmt::format("{}", b.local().id());
      EXPECT_TRUE(discovery_log.wait_for("info", "peer " + b_id + " joined at"));
    }
    EXPECT_TRUE(discovery_log.wait_for("info", "peer " + b_id + " departed"));
  }
}

TEST(NodeLog, an_unreachable_bootstrap_peer_is_a_warning_that_names_it) {
  test::CapturedLog discovery_log("discovery");
  {
    // An address where nothing answers: the handshake times out (shortened here).
    const EndpointAddr nobody(SecretKey::generate().public_key(),
                              {SocketAddr(asio::ip::make_address("127.0.0.1"), 9)});
    transport::EndpointConfig quick;
    quick.handshake_timeout = test::millis(500);
    const std::set<SocketAddr> loopback = {SocketAddr(asio::ip::make_address("127.0.0.1"), 0)};
    auto built = block_on(Network::builder(kNet)
                              .with_addresses(loopback)
                              .with_relay_mode(RelayMode::kDisabled)
                              .with_transport(quick)
                              .with_discovery(test::fast_discovery().with_bootstrap(nobody))
                              .build());
    ASSERT_TRUE(built) << built.error().message;
    EXPECT_TRUE(discovery_log.wait_for("warning", fmt::format("bootstrap peer {}", nobody.id)));
  }
}

// A bootstrap peer that is not running yet: each failed exchange is a warning naming it and
// the wait before the next try, and the node joins it within that backoff once it runs,
// not at the next announce interval (30 s here).
TEST(NodeLog, a_bootstrap_peer_that_starts_late_is_joined_within_the_retry_backoff) {
  test::CapturedLog discovery_log("discovery");
  const auto loopback_ip = asio::ip::make_address("127.0.0.1");
  std::uint16_t port = 0;
  {
    asio::io_context io;
    asio::ip::udp::socket probe(io, asio::ip::udp::endpoint(loopback_ip, 0));
    port = probe.local_endpoint().port();  // free now; the late node binds it below
  }
  const SecretKey late_key = SecretKey::generate();
  const EndpointAddr late(late_key.public_key(), {SocketAddr(loopback_ip, port)});
  auto slow_interval = [] {
    return test::fast_discovery().with_announce_interval(test::secs(30)).with_purge_after(test::secs(90));
  };
  transport::EndpointConfig quick;
  quick.handshake_timeout = test::millis(500);
  const std::set<SocketAddr> any_port = {SocketAddr(loopback_ip, 0)};
  auto joiner = block_on(Network::builder(kNet)
                             .with_addresses(any_port)
                             .with_relay_mode(RelayMode::kDisabled)
                             .with_transport(quick)
                             .with_discovery(slow_interval().with_bootstrap(late))
                             .build());
  ASSERT_TRUE(joiner) << joiner.error().message;
  ASSERT_TRUE(discovery_log.wait_for("warning", fmt::format("bootstrap peer {}", late.id)));
  EXPECT_TRUE(discovery_log.has("warning", "retrying in"));

  const std::set<SocketAddr> that_port = {SocketAddr(loopback_ip, port)};
  auto started = block_on(Network::builder(kNet)
                              .with_secret_key(late_key)
                              .with_addresses(that_port)
                              .with_relay_mode(RelayMode::kDisabled)
                              .with_discovery(slow_interval())
                              .build());
  ASSERT_TRUE(started) << started.error().message;
  block_on(test::until_knows(*joiner, late.id, 5));
  block_on(test::until_knows(*started, joiner->local().id(), 5));
}

}  // namespace
}  // namespace node_log_test
}  // namespace mosaik
