// Nodes on the default bind (0.0.0.0:0), as a deployment runs them: each advertises
// addresses a peer can dial, never the wildcard, and a consumer given only the producer's
// address subscribes and receives.
#include <gtest/gtest.h>

#include "mosaik/primitives/async/block_on.hpp"
#include "streams_fixture.hpp"

namespace mosaik {
namespace default_bind_net_test {
namespace {

using test::Reading;

asio::awaitable<Network> default_bind_node(std::optional<EndpointAddr> seed) {
  auto disc = test::fast_discovery();
  if (seed) disc.with_bootstrap(*seed);
  auto built = co_await Network::builder(test::kStreamsNet)
                   .with_relay_mode(RelayMode::kDisabled)
                   .with_discovery(std::move(disc))
                   .build();
  if (!built) throw std::runtime_error("node failed to start: " + built.error().message);
  co_return std::move(*built);
}

TEST(StreamsDefaultBind, a_producer_on_the_wildcard_is_subscribed_to_by_its_advertised_address) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await default_bind_node(std::nullopt);
    const EndpointAddr advertised = a.local().addr();
    CO_ASSERT_TRUE(!advertised.direct_addresses.empty());
    for (const auto& ep : advertised.direct_addresses) {
      CO_ASSERT_TRUE(!ep.address().is_unspecified());
    }
    auto producer = a.streams().produce<Reading>();
    auto b = co_await default_bind_node(advertised);
    auto consumer = b.streams().consume<Reading>();
    co_await test::timeout_s(15, producer.when().online());
    const auto datum = Reading{1, "over the advertised address"};
    auto sent = co_await producer.send(datum);
    CO_ASSERT_TRUE(sent.has_value());
    auto got = co_await test::receive_n(consumer, 1);
    CO_ASSERT_TRUE(got.size() == 1 && got[0] == datum);
    // The entry the consumer's node holds for the producer names no wildcard either.
    const auto catalog = b.discovery().catalog();
    const auto* entry = catalog.get(a.local().id());
    CO_ASSERT_TRUE(entry != nullptr);
    for (const auto& ep : entry->addr().direct_addresses) CO_ASSERT_TRUE(!ep.address().is_unspecified());
  }());
}

}  // namespace
}  // namespace default_bind_net_test
}  // namespace mosaik
