#include <gtest/gtest.h>

#include "mosaik/primitives/async/block_on.hpp"
#include "node_fixture.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace network_test {
namespace {

TEST(Network, builder_options_are_applied) {
  block_on([]() -> asio::awaitable<void> {
    const auto key = SecretKey::from_seed("fixed-identity");
    // Containers are built outside co_await expressions: g++ 12 cannot keep an
    // initializer_list's array in a coroutine frame.
    const std::set<SocketAddr> loopback = {SocketAddr(asio::ip::make_address("127.0.0.1"), 0)};
    auto builder = Network::builder("opts");
    builder.with_secret_key(key)
        .with_relay_mode(RelayMode::kDisabled)
        .with_mdns_discovery(true)
        .with_addresses(loopback)
        .with_discovery(discovery::Config::builder().with_tags("role"))
        .with_groups(groups::Config::builder().with_handshake_timeout(std::chrono::seconds(1)));
    auto net = co_await builder.build();
    CO_ASSERT_TRUE(net.has_value());
    EXPECT_EQ(net->local().id(), key.public_key());
    EXPECT_EQ(net->local().secret_key(), key);
    EXPECT_EQ(net->network_id(), NetworkId("opts"));
    EXPECT_EQ(net->local().network_id(), NetworkId("opts"));
    EXPECT_EQ(net->relay_mode(), RelayMode::kDisabled);
    EXPECT_TRUE(net->mdns_discovery());
    EXPECT_EQ(net->groups_config().handshake_timeout, std::chrono::seconds(1));
    const auto addr = net->local().addr();
    CO_ASSERT_TRUE(addr.direct_addresses.size() == 1u);
    EXPECT_TRUE(addr.direct_addresses.begin()->address().is_loopback());
    EXPECT_NE(addr.direct_addresses.begin()->port(), 0);
    EXPECT_TRUE(net->discovery().me().entry().tags().contains("role"));
    EXPECT_TRUE(net->discovery().me().verify());
    co_await net->online();
  });
}

TEST(Network, missing_network_id_is_an_error) {
  auto r = block_on(Network::builder(NetworkId::zero()).build());
  CO_ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, network::Error::Kind::kMissingNetworkId);
}

TEST(Network, invalid_discovery_config_is_an_error) {
  auto r = block_on(Network::builder("x")
                        .with_discovery(discovery::Config::builder().with_announce_jitter(2.0))
                        .build());
  CO_ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, network::Error::Kind::kDiscoveryConfig);
}

TEST(Network, invalid_groups_config_is_an_error) {
  EXPECT_EQ(groups::Config{}.handshake_timeout, std::chrono::seconds(2));  // the seed's default
  auto r = block_on(Network::builder("x")
                        .with_groups(groups::Config::builder().with_handshake_timeout(
                            std::chrono::milliseconds(0)))
                        .build());
  CO_ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, network::Error::Kind::kGroupsConfig);
}

TEST(Network, an_unbindable_address_is_an_error) {
  // 192.0.2.1 (TEST-NET-1) is not assigned to this machine, so bind() fails.
  auto r = block_on(Network::builder("x")
                        .with_addresses({SocketAddr(asio::ip::make_address("192.0.2.1"), 0)})
                        .build());
  CO_ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, network::Error::Kind::kBind);
  auto m = block_on(Network::builder("x")
                        .with_addresses({SocketAddr(asio::ip::make_address("224.0.0.1"), 0)})
                        .build());
  CO_ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().kind, network::Error::Kind::kInvalidAddress);
}

TEST(Network, create_uses_defaults_and_random_identities) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await Network::create("defaults");
    auto b = co_await Network::create("defaults");
    EXPECT_NE(a.local().id(), b.local().id());
    EXPECT_EQ(a.relay_mode(), RelayMode::kDefault);
    EXPECT_FALSE(a.mdns_discovery());
  });
}

TEST(Network, handles_are_cheap_copies_and_the_last_one_shuts_down) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::make_node("copies");
    {
      Network copy = a;
      EXPECT_EQ(copy.local().id(), a.local().id());
    }
    EXPECT_TRUE(a.discovery().me().verify());  // still alive after the copy went
  });
}

}  // namespace
}  // namespace network_test
}  // namespace mosaik
