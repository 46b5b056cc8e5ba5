// Dropping the last Producer handle closes it gracefully: what send() accepted is still
// delivered (bounded by streams::kDefaultFlushDeadline), then its consumers see
// GracefulShutdown; a node shut down right after the drop waits for that delivery.
// (Found writing examples/orderbook: a trader's orders vanished when its function returned.)

#include <gtest/gtest.h>

#include <chrono>

#include "mosaik/primitives/async/block_on.hpp"
#include "streams_fixture.hpp"

namespace mosaik {
namespace producer_drop_net_test {
namespace {

using test::Reading;

// 500 datums of 2 KiB: more than the transport delivers in the moment between the last
// send() and the drop, and fewer than a consumer's inbox holds (1024), so the test may read
// only afterwards.
constexpr std::uint64_t kCount = 500;

asio::awaitable<void> send_all(streams::Producer<Reading>& producer) {
  const std::string pad(2048, 'p');
  for (std::uint64_t i = 0; i < kCount; ++i) {
    const auto datum = Reading{i, pad};
    auto sent = co_await producer.send(datum);
    CO_ASSERT_TRUE(sent.has_value());
  }
}

// How many datums arrive in order, each within `seconds` of the previous one.
asio::awaitable<std::uint64_t> received_in_order(streams::Consumer<Reading>& consumer,
                                                 double seconds) {
  std::uint64_t received = 0;
  for (; received < kCount; ++received) {
    auto got = co_await with_timeout(consumer.recv(), test::secs(seconds));
    if (!got || !*got || (*got)->seq != received) break;
  }
  co_return received;
}

TEST(StreamsProducerDrop, what_send_accepted_reaches_the_consumer_then_it_sees_a_graceful_close) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node();
    auto b = co_await test::node(a.local().addr());
    auto consumer = b.streams().consume<Reading>();
    auto events = consumer.events();
    {
      auto producer = a.streams().produce<Reading>();
      co_await test::timeout_s(15, producer.when().online());
      co_await send_all(producer);
    }  // the last handle goes with everything still queued
    const auto received = co_await received_in_order(consumer, 5);
    EXPECT_EQ(received, kCount);
    const auto ended = co_await test::until_event(events, transport::close_reason::GracefulShutdown);
    EXPECT_TRUE(ended.remote);
    // Withdrawn once delivered: the consumer does not come back for it.
    co_await test::timeout_s(10, consumer.when().unsubscribed());
    EXPECT_FALSE(a.discovery().me().entry().streams().contains(StreamId("test/reading")));
  });
}

// The orderbook trader: the producer's handle goes, then the node shuts down at once.
TEST(StreamsProducerDrop, a_node_shut_down_right_after_the_drop_still_delivers_everything) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node();
    auto b = co_await test::node(a.local().addr());
    auto consumer = b.streams().consume<Reading>();
    {
      auto producer = a.streams().produce<Reading>();
      co_await test::timeout_s(15, producer.when().online());
      co_await send_all(producer);
    }
    co_await a.shutdown();
    const auto received = co_await received_in_order(consumer, 5);
    EXPECT_EQ(received, kCount);
  });
}

// A consumer that stopped reading cannot hold a dropped producer (or its node) forever: the
// background delivery ends at the flush deadline, the stream is withdrawn, and the consumer
// finds the graceful close once it reads again.
TEST(StreamsProducerDrop, a_consumer_that_stopped_reading_is_closed_at_the_flush_deadline) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node();
    auto b = co_await test::node(a.local().addr());
    auto consumer = b.streams().consume<Reading>();  // not read: its inbox fills, then QUIC's window
    auto events = consumer.events();
    std::uint64_t accepted = 0;
    {
      auto producer = a.streams().producer<Reading>().disconnect_lagging(false).build();
      CO_ASSERT_TRUE(producer.has_value());
      co_await test::timeout_s(15, producer->when().online());
      const std::string pad(16 * 1024, 'p');
      // Until a send waits: the inbox, the windows and the fanout's queue are full.
      for (; accepted < 100'000; ++accepted) {
        const auto datum = Reading{accepted, pad};
        auto sent = co_await with_timeout(producer->send(datum), test::millis(300));
        if (!sent) break;
      }
    }
    const auto dropped = std::chrono::steady_clock::now();
    const auto producer_id = a.local().id();
    co_await test::until_catalog(
        b,
        [producer_id](const discovery::Catalog& c) {
          const auto* e = c.get(producer_id);
          return e != nullptr && !e->entry().streams().contains(StreamId("test/reading"));
        },
        10);
    const auto took = std::chrono::steady_clock::now() - dropped;
    EXPECT_GE(took, streams::kDefaultFlushDeadline - test::millis(100));
    EXPECT_LT(took, streams::kDefaultFlushDeadline + test::secs(3));
    // Reading again, the consumer gets a prefix of what was accepted, then the close.
    std::uint64_t received = 0;
    for (; received < accepted; ++received) {
      auto got = co_await with_timeout(consumer.recv(), test::secs(1));
      if (!got || !*got || (*got)->seq != received) break;
    }
    EXPECT_LT(received, accepted);
    const auto ended = co_await test::until_event(events, transport::close_reason::GracefulShutdown);
    EXPECT_TRUE(ended.remote);
    // Nothing is left for the node's shutdown to wait for.
    const auto shutting = std::chrono::steady_clock::now();
    co_await a.shutdown();
    EXPECT_LT(std::chrono::steady_clock::now() - shutting, test::secs(2));
  });
}

}  // namespace
}  // namespace producer_drop_net_test
}  // namespace mosaik
