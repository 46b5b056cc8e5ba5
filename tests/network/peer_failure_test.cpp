// Peers killed with SIGKILL (a real OS process each, which says goodbye to nobody): the
// other side notices within 5 s by default (QUIC keep-alive 500 ms, idle timeout 3.5 s;
// docs/decisions/0207). A consumer reports its producer lost and subscribes again once the
// producer restarts on the same key; a producer stops counting a dead consumer.
#include <gtest/gtest.h>

#include <chrono>

#include "mosaik/mosaik.hpp"
#include "node_fixture.hpp"
#include "node_process_child.hpp"
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

std::vector<std::string> producer_args(const SecretKey& key) { return {"--secret", key.expose_secret_hex()}; }

std::vector<std::string> restart_args(const SecretKey& key, const Network& bootstrap) {
  return {"--secret", key.expose_secret_hex(), "--bootstrap", bootstrap.local().addr().to_string()};
}

std::vector<std::string> consumer_args(const Network& bootstrap) {
  return {"--consume", "--bootstrap", bootstrap.local().addr().to_string()};
}

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

TEST(PeerFailure, a_killed_producer_is_lost_within_5_s_and_subscribed_again_after_its_restart) {
  block_on([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    const auto key = SecretKey::generate();
    auto producer = ChildProcess::spawn(ex, MOSAIK_NODE_PROCESS, producer_args(key));
    const auto producer_addr = co_await node_process_address(producer);
    auto node = co_await node_with_default_transport(producer_addr);
    const streams::ExponentialBackoff backoff{.initial_interval = millis(100), .max_interval = millis(500)};
    auto ticks = node.streams().consumer<Tick>().with_backoff(backoff).build();
    auto first = co_await timeout_s(20, ticks.recv());
    CO_ASSERT_TRUE(first.has_value());

    producer.signal(SIGKILL);
    const auto killed = Clock::now();
    co_await timeout_s(10, ticks.when().unsubscribed());
    const double noticed_ms = ms_since(killed);
    EXPECT_LE(noticed_ms, 5000) << "noticed after " << noticed_ms << " ms";
    EXPECT_EQ(co_await producer.exit_code(5), -SIGKILL);

    // The same identity comes back at a new address; it finds this node and is resubscribed.
    auto restarted = ChildProcess::spawn(ex, MOSAIK_NODE_PROCESS, restart_args(key, node));
    (void)co_await node_process_address(restarted);
    co_await timeout_s(20, ticks.when().online());
    auto again = co_await timeout_s(10, ticks.recv());
    CO_ASSERT_TRUE(again.has_value());
    restarted.signal(SIGTERM);
    EXPECT_EQ(co_await restarted.exit_code(10), 0);
  });
}

TEST(PeerFailure, a_killed_consumer_leaves_the_producers_consumers_within_5_s) {
  block_on([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto node = co_await node_with_default_transport(std::nullopt);
    auto ticks = node.streams().produce<Tick>();
    auto consumer = ChildProcess::spawn(ex, MOSAIK_NODE_PROCESS, consumer_args(node));
    co_await timeout_s(20, ticks.when().online());
    EXPECT_EQ(ticks.consumers().size(), 1u);

    consumer.signal(SIGKILL);
    const auto killed = Clock::now();
    co_await timeout_s(10, ticks.when().unsubscribed());
    const double noticed_ms = ms_since(killed);
    EXPECT_LE(noticed_ms, 5000) << "noticed after " << noticed_ms << " ms";
    EXPECT_TRUE(ticks.consumers().empty());
  });
}

}  // namespace
}  // namespace mosaik::test
