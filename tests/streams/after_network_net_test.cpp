// Streams handles that outlive their Network: once the last Network copy is gone its event
// loop is freed, so every call must fail cleanly (Closed, nullopt, Disconnected) without
// touching it, and so must the handles' destruction. Run under the asan preset, a handle
// that posts to the dead loop is a heap-use-after-free.

#include <gtest/gtest.h>

#include <optional>

#include "mosaik/primitives/async/block_on.hpp"
#include "streams_fixture.hpp"

namespace mosaik {
namespace after_network_net_test {
namespace {

using test::Reading;

TEST(StreamsAfterNetwork, handles_that_outlive_their_network_report_closed) {
  block_on([]() -> asio::awaitable<void> {
    std::optional<streams::Streams> streams;
    std::optional<streams::Producer<Reading>> producer;
    std::optional<streams::Consumer<Reading>> consumer;
    {
      auto n = co_await test::node();
      streams.emplace(n.streams());
      producer.emplace(n.streams().produce<Reading>());
      consumer.emplace(n.streams().consume<Reading>());
    }  // the last Network copy: it shuts down, joins its thread and frees its event loop

    auto tried = producer->try_send(Reading{1, "x"});
    CO_ASSERT_FALSE(tried.has_value());
    EXPECT_TRUE(tried.error().is_closed());
    const auto datum = Reading{2, "y"};
    auto sent = co_await test::timeout_s(1, producer->send(datum));
    CO_ASSERT_FALSE(sent.has_value());
    EXPECT_TRUE(sent.error().is_closed());
    auto flushed = co_await test::timeout_s(1, producer->flush());
    CO_ASSERT_FALSE(flushed.has_value());
    EXPECT_TRUE(flushed.error().is_closed());
    auto got = co_await test::timeout_s(1, consumer->recv());
    EXPECT_FALSE(got.has_value());
    auto now = consumer->try_recv();
    CO_ASSERT_FALSE(now.has_value());
    EXPECT_EQ(now.error(), streams::TryRecvError::Disconnected);

    // Made through a Streams copy after the node is gone: closed from the start.
    auto built = streams->producer<Reading>().with_stream_id(StreamId("after-network/late")).build();
    CO_ASSERT_TRUE(built.has_value());
    std::optional<streams::Producer<Reading>> late(std::move(*built));
    auto late_sent = late->try_send(Reading{3, "z"});
    CO_ASSERT_FALSE(late_sent.has_value());
    EXPECT_TRUE(late_sent.error().is_closed());
    auto late_consumer = streams->consume<Reading>();
    auto late_got = co_await test::timeout_s(1, late_consumer.recv());
    EXPECT_FALSE(late_got.has_value());

    // Their destruction, the Streams copy's last, must not touch the freed loop either.
    late.reset();
    producer.reset();
    consumer.reset();
    streams.reset();
  });
}

}  // namespace
}  // namespace after_network_net_test
}  // namespace mosaik
