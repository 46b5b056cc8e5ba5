// Producer::flush(): completes once every subscribed consumer's transport acknowledged what
// send() accepted before it, and ends at its deadline when a consumer stopped reading.

#include <gtest/gtest.h>

#include <chrono>

#include "mosaik/primitives/async/block_on.hpp"
#include "streams_fixture.hpp"

namespace mosaik {
namespace producer_flush_net_test {
namespace {

using test::Reading;

// A node whose outgoing packets a test can cut off (set_faults) at a chosen moment.
asio::awaitable<Network> node_with_faults() {
  const std::set<SocketAddr> loopback = {SocketAddr(asio::ip::make_address("127.0.0.1"), 0)};
  transport::EndpointConfig transport;
  transport.faults = transport::FaultConfig{};
  auto built = co_await Network::builder(test::kStreamsNet)
                   .with_addresses(loopback)
                   .with_relay_mode(RelayMode::kDisabled)
                   .with_transport(transport)
                   .with_discovery(test::fast_discovery())
                   .build();
  if (!built) throw std::runtime_error("node failed to start: " + built.error().message);
  co_return std::move(*built);
}

TEST(StreamsProducerFlush, completes_once_the_consumer_acknowledged_everything_sent) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await node_with_faults();
    auto b = co_await test::node(a.local().addr());
    auto consumer = b.streams().consume<Reading>();
    auto producer = a.streams().produce<Reading>();
    co_await test::timeout_s(15, producer.when().online());
    // 1 MB: far more than is delivered by the time the last send() returns, and fewer
    // datums than the consumer's inbox holds (1024).
    constexpr std::uint64_t kCount = 500;
    const std::string pad(2048, 'p');
    for (std::uint64_t i = 0; i < kCount; ++i) {
      const auto datum = Reading{i, pad};
      auto sent = co_await producer.send(datum);
      CO_ASSERT_TRUE(sent.has_value());
    }
    auto flushed = co_await producer.flush(test::secs(10));
    CO_ASSERT_TRUE(flushed.has_value());
    // From now on nothing the producer's node sends arrives: what the consumer gets was
    // acknowledged before the flush completed.
    transport::FaultConfig blackhole;
    blackhole.drop = 1.0;
    CO_ASSERT_TRUE(a.local().endpoint().set_faults(blackhole));
    std::uint64_t received = 0;
    for (; received < kCount; ++received) {
      auto got = co_await with_timeout(consumer.recv(), test::secs(5));
      if (!got || !*got || (*got)->seq != received) break;
    }
    EXPECT_EQ(received, kCount);
  });
}

TEST(StreamsProducerFlush, ends_at_its_deadline_when_a_consumer_stopped_reading) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node();
    auto b = co_await test::node(a.local().addr());
    auto consumer = b.streams().consume<Reading>();  // not read: its inbox fills, then QUIC's window
    auto producer = a.streams().producer<Reading>().disconnect_lagging(false).build();
    CO_ASSERT_TRUE(producer.has_value());
    co_await test::timeout_s(15, producer->when().online());
    const std::string pad(16 * 1024, 'p');
    // Until a send waits: the inbox, the windows and the fanout's queue are full.
    std::uint64_t accepted = 0;
    for (; accepted < 100'000; ++accepted) {
      const auto datum = Reading{accepted, pad};
      auto sent = co_await with_timeout(producer->send(datum), test::millis(300));
      if (!sent) break;
    }
    CO_ASSERT_TRUE(accepted < 100'000);
    const auto deadline = std::chrono::milliseconds(500);
    const auto started = std::chrono::steady_clock::now();
    auto flushed = co_await test::timeout_s(10, producer->flush(deadline));
    const auto took = std::chrono::steady_clock::now() - started;
    CO_ASSERT_FALSE(flushed.has_value());
    EXPECT_TRUE(flushed.error().is_timed_out());
    EXPECT_GE(took, deadline - test::millis(50));
    EXPECT_LT(took, deadline + test::secs(1));
  });
}

TEST(StreamsProducerFlush, is_immediate_with_nothing_pending_and_closed_after_shutdown) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node();
    auto producer = a.streams().produce<Reading>();
    auto idle = co_await test::timeout_s(1, producer.flush());
    EXPECT_TRUE(idle.has_value());  // no consumer: nothing to wait for
    co_await a.shutdown();
    auto closed = co_await test::timeout_s(1, producer.flush());
    CO_ASSERT_FALSE(closed.has_value());
    EXPECT_TRUE(closed.error().is_closed());
  });
}

}  // namespace
}  // namespace producer_flush_net_test
}  // namespace mosaik
