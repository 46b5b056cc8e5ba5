// Lifecycles: a restarted producer is found again, dropping handles ends the work.

#include <gtest/gtest.h>

#include "mosaik/primitives/async/block_on.hpp"
#include "streams_fixture.hpp"

namespace mosaik {
namespace lifecycle_net_test {
namespace {

using test::Reading;

TEST(StreamsLifecycle, a_producer_restarted_on_the_same_key_is_resubscribed) {
  block_on([]() -> asio::awaitable<void> {
    const auto key = SecretKey::generate();
    auto b = co_await test::node();
    auto consumer = b.streams()
                        .consumer<Reading>()
                        .with_backoff(test::quick_backoff())
                        .build();
    const std::vector<Tag> none;
    {
      auto a = co_await test::node(b.local().addr(), none, key);
      auto producer = a.streams().produce<Reading>();
      co_await test::timeout_s(15, producer.when().online());
      const auto datum_26 = Reading{1, "before"};
      auto sent = co_await producer.send(datum_26);
      CO_ASSERT_TRUE(sent.has_value());
      auto got = co_await test::receive_n(consumer, 1);
      CO_ASSERT_TRUE(got.size() == 1 && got[0].note == "before");
    }
    co_await test::timeout_s(15, consumer.when().unsubscribed());
    auto again = co_await test::node(b.local().addr(), none, key);
    auto producer = again.streams().produce<Reading>();
    co_await test::timeout_s(20, producer.when().online());
    const auto datum_35 = Reading{2, "after"};
    auto sent = co_await producer.send(datum_35);
    CO_ASSERT_TRUE(sent.has_value());
    auto got = co_await test::receive_n(consumer, 1);
    CO_ASSERT_TRUE(got.size() == 1);
    EXPECT_EQ(got[0].note, "after");
    EXPECT_EQ(consumer.producers().at(0).producer_id(), key.public_key());
  });
}

TEST(StreamsLifecycle, dropping_the_last_consumer_handle_ends_its_subscriptions) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node();
    auto b = co_await test::node(a.local().addr());
    auto producer = a.streams().produce<Reading>();
    {
      auto consumer = b.streams().consume<Reading>();
      auto copy = consumer;
      co_await test::timeout_s(15, producer.when().online());
      const auto datum_53 = Reading{1, "x"};
      auto sent = co_await producer.send(datum_53);
      CO_ASSERT_TRUE(sent.has_value());
      auto got = co_await test::receive_n(copy, 1);  // copies share one queue
      CO_ASSERT_TRUE(got.size() == 1);
      EXPECT_FALSE(consumer.try_recv().has_value());
    }
    co_await test::timeout_s(10, producer.when().unsubscribed());
    EXPECT_TRUE(producer.consumers().empty());
    auto r = producer.try_send(Reading{2, "y"});
    CO_ASSERT_FALSE(r.has_value());
    EXPECT_TRUE(r.error().is_offline());
  });
}

TEST(StreamsLifecycle, a_consumer_channel_info_reports_its_termination) {
  block_on([]() -> asio::awaitable<void> {
    auto b = co_await test::node();
    auto consumer = b.streams().consume<Reading>();
    std::optional<streams::ChannelInfo> channel;
    {
      auto a = co_await test::node(b.local().addr());
      auto producer = a.streams().produce<Reading>();
      co_await test::timeout_s(15, consumer.when().online());
      auto producers = consumer.producers();
      CO_ASSERT_TRUE(producers.size() == 1);
      channel = producers[0];
      EXPECT_TRUE(channel->is_connected());
      EXPECT_EQ(channel->peer().peer_id(), a.local().id());
    }
    co_await test::timeout_s(15, channel->disconnected());
    EXPECT_EQ(channel->state(), streams::State::Terminated);
  });
}

}  // namespace
}  // namespace lifecycle_net_test
}  // namespace mosaik

namespace mosaik {
namespace lifecycle_net_test {
namespace {

TEST(StreamsLifecycle, a_consumer_subscribes_to_a_producer_of_its_own_node) {
  block_on([]() -> asio::awaitable<void> {
    auto n = co_await test::node();
    auto consumer = n.streams().consume<test::Reading>();
    auto producer = n.streams().produce<test::Reading>();  // created after: still found
    co_await test::timeout_s(10, producer.when().online());
    const test::Reading r{5, "self"};
    auto sent = co_await producer.send(r);
    CO_ASSERT_TRUE(sent.has_value());
    auto got = co_await test::receive_n(consumer, 1);
    CO_ASSERT_TRUE(got.size() == 1);
    EXPECT_EQ(got[0].note, "self");
    EXPECT_FALSE(n.discovery().catalog().contains(n.local().id()));
  });
}

}  // namespace
}  // namespace lifecycle_net_test
}  // namespace mosaik
