// A network secret (docs/decisions/0206): members find each other and stream as usual;
// nodes without it, or with another one, are refused at the transport with a typed reason
// and never enter a member's catalog.
#include <gtest/gtest.h>

#include <array>

#include "mosaik/primitives/async/block_on.hpp"
#include "node_fixture.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace network_secret_test {
namespace {

const NetworkId kNet = "network-secret-test";

struct Tick {
  std::uint64_t seq = 0;
  MSGPACK_DEFINE(seq);
  static constexpr std::string_view stream_name = "test/network-secret/tick";
};

asio::awaitable<Network> node(std::optional<NetworkSecret> secret,
                              std::optional<EndpointAddr> seed = std::nullopt) {
  auto disc = test::fast_discovery();
  if (seed) disc.with_bootstrap(*seed);
  co_return co_await test::make_node(kNet, std::move(disc), std::nullopt, std::move(secret));
}

NetworkSecret secret(std::string_view passphrase) { return NetworkSecret::from_passphrase(passphrase); }

TEST(NetworkSecret, members_discover_each_other_and_stream_data) {
  block_on([]() -> asio::awaitable<void> {
    const auto shared = secret("members only");
    auto a = co_await node(shared);
    const auto seed = a.local().addr();
    auto b = co_await node(shared, seed);
    EXPECT_TRUE(a.has_network_secret());
    co_await test::until_knows(a, b.local().id());
    co_await test::until_knows(b, a.local().id());

    auto producer = a.streams().produce<Tick>();
    auto consumer = b.streams().consume<Tick>();
    co_await test::timeout_s(10, producer.when().subscribed().minimum_of(1));
    const Tick tick{42};
    auto sent = co_await producer.send(tick);
    CO_ASSERT_TRUE(sent.has_value());
    auto got = co_await test::timeout_s(10, consumer.recv());
    CO_ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->seq, 42u);
  });
}

TEST(NetworkSecret, outsiders_are_refused_with_a_typed_reason_and_stay_out_of_the_catalog) {
  block_on([]() -> asio::awaitable<void> {
    const auto shared = secret("members only");
    const auto guess = secret("a good guess");
    auto member = co_await node(shared);
    const auto seed = member.local().addr();
    // Both outsiders try to join through the member from the start.
    auto without = co_await node(std::nullopt, seed);
    auto wrong = co_await node(guess, seed);
    EXPECT_FALSE(without.has_network_secret());

    const std::array<Network*, 2> outsiders = {&without, &wrong};
    for (Network* outsider : outsiders) {
      auto conn = co_await test::timeout_s(
          10, outsider->local().endpoint().connect(seed, "/mosaik/catalog-sync"));
      CO_ASSERT_FALSE(conn.has_value());
      EXPECT_EQ(conn.error().kind, transport::ConnectError::Kind::kInvalidNetworkProof)
          << conn.error().message;
      CO_ASSERT_TRUE(conn.error().reason.has_value());
      EXPECT_EQ(*conn.error().reason, transport::close_reason::InvalidNetworkProof);
      auto synced = co_await test::timeout_s(10, outsider->discovery().sync_with(seed));
      EXPECT_FALSE(synced.has_value());
    }

    // A member that joins later is admitted: by the time the two know each other, the
    // outsiders' bootstrap dials (made earlier) have long been answered.
    auto late = co_await node(shared, seed);
    co_await test::until_knows(member, late.local().id());
    co_await test::until_knows(late, member.local().id());
    const auto catalog = member.discovery().catalog();
    EXPECT_FALSE(catalog.contains(without.local().id()));
    EXPECT_FALSE(catalog.contains(wrong.local().id()));
    EXPECT_FALSE(late.discovery().catalog().contains(without.local().id()));
    EXPECT_FALSE(without.discovery().catalog().contains(member.local().id()));
    EXPECT_FALSE(wrong.discovery().catalog().contains(member.local().id()));
  });
}

}  // namespace
}  // namespace network_secret_test
}  // namespace mosaik
