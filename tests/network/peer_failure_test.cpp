// Peers killed with SIGKILL (a real OS process each, which says goodbye to nobody): the
// other side notices within 5 s by default (QUIC keep-alive 1 s, idle timeout 4 s;
// docs/decisions/0207). A consumer reports its producer lost and subscribes again once the
// producer restarts on the same key; a producer stops counting a dead consumer.
#include <gtest/gtest.h>

#include <chrono>

#include "mosaik/mosaik.hpp"
#include "node_fixture.hpp"
#include "node_process.hpp"
#include "support/child_process.hpp"
#include "support/co_assert.hpp"

namespace mosaik::test {
namespace {

using Clock = std::chrono::steady_clock;

// The default transport, so that the default failure detection is what is measured.
asio::awaitable<Network> node_with_default_transport(std::optional<EndpointAddr> bootstrap) {
  auto discovery = fast_discovery();
  if (bootstrap) discovery.with_bootstrap(*bootstrap);
  co_return co_await make_node(kNodeProcessNetwork, std::move(discovery));
}

EndpointAddr address_of(const ChildProcess& child) {
  auto addr = EndpointAddr::parse(child.first_line());
  if (!addr) throw std::runtime_error("not an address: " + child.first_line());
  return *addr;
}

TEST(PeerFailure, a_killed_producer_is_lost_within_5_s_and_subscribed_again_after_its_restart) {
  const auto key = SecretKey::generate();
  auto producer = std::make_unique<ChildProcess>(MOSAIK_NODE_PROCESS,
                                                 std::vector<std::string>{"--secret", key.expose_secret_hex()});
  auto node = block_on(node_with_default_transport(address_of(*producer)));
  auto ticks = node.streams()
                   .consumer<Tick>()
                   .with_backoff(streams::ExponentialBackoff{.initial_interval = millis(100),
                                                             .max_interval = millis(500)})
                   .build();
  block_on([](streams::Consumer<Tick>& c) -> asio::awaitable<void> {
    auto first = co_await timeout_s(20, c.recv());
    CO_ASSERT_TRUE(first.has_value());
  }(ticks));

  producer->signal(SIGKILL);
  const auto killed = Clock::now();
  block_on(timeout_s(10, ticks.when().unsubscribed()));
  const auto noticed = Clock::now() - killed;
  EXPECT_LE(noticed, std::chrono::seconds(5)) << "noticed after "
      << std::chrono::duration_cast<std::chrono::milliseconds>(noticed).count() << " ms";
  EXPECT_EQ(producer->wait_exit(std::chrono::seconds(5)), 128 + SIGKILL);

  // The same identity comes back at a new address; it finds this node and is resubscribed.
  producer = std::make_unique<ChildProcess>(
      MOSAIK_NODE_PROCESS, std::vector<std::string>{"--secret", key.expose_secret_hex(), "--bootstrap",
                                                    node.local().addr().to_string()});
  block_on([](streams::Consumer<Tick>& c) -> asio::awaitable<void> {
    co_await timeout_s(20, c.when().online());
    auto again = co_await timeout_s(10, c.recv());
    CO_ASSERT_TRUE(again.has_value());
  }(ticks));
  EXPECT_EQ(producer->stop(), 0);
}

TEST(PeerFailure, a_killed_consumer_leaves_the_producers_consumers_within_5_s) {
  auto node = block_on(node_with_default_transport(std::nullopt));
  auto ticks = node.streams().produce<Tick>();
  ChildProcess consumer(MOSAIK_NODE_PROCESS,
                        {"--consume", "--bootstrap", node.local().addr().to_string()});
  block_on(timeout_s(20, ticks.when().online()));
  EXPECT_EQ(ticks.consumers().size(), 1u);

  consumer.signal(SIGKILL);
  const auto killed = Clock::now();
  block_on(timeout_s(10, ticks.when().unsubscribed()));
  const auto noticed = Clock::now() - killed;
  EXPECT_LE(noticed, std::chrono::seconds(5)) << "noticed after "
      << std::chrono::duration_cast<std::chrono::milliseconds>(noticed).count() << " ms";
  EXPECT_TRUE(ticks.consumers().empty());
}

}  // namespace
}  // namespace mosaik::test
