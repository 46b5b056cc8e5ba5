// when(), online_when and ChannelConditions with real subscribers coming and going.

#include <gtest/gtest.h>

#include "mosaik/primitives/async/block_on.hpp"
#include "streams_fixture.hpp"

namespace mosaik {
namespace status_net_test {
namespace {

using test::Reading;

TEST(StreamsStatus, online_when_counts_only_tagged_subscribers) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node();
    auto producer = a.streams()
                        .producer<Reading>()
                        .online_when([](streams::ChannelConditions c) {
                          return c.minimum_of(2).with_tags("validator");
                        })
                        .build();
    CO_ASSERT_TRUE(producer.has_value());
    const std::vector<Tag> validator = {"validator"};
    const std::vector<Tag> other = {"observer"};
    auto v1 = co_await test::node(a.local().addr(), validator);
    auto o1 = co_await test::node(a.local().addr(), other);
    auto c1 = v1.streams().consume<Reading>();
    auto c2 = o1.streams().consume<Reading>();
    co_await test::timeout_s(15, producer->when().subscribed().minimum_of(2));
    EXPECT_FALSE(producer->is_online());
    auto offline = producer->try_send(Reading{0, ""});
    CO_ASSERT_FALSE(offline.has_value());
    EXPECT_TRUE(offline.error().is_offline());
    auto v2 = co_await test::node(a.local().addr(), validator);
    auto c3 = v2.streams().consume<Reading>();
    co_await test::timeout_s(15, producer->when().online());
    EXPECT_TRUE(producer->when().subscribed().minimum_of(2).with_tags("validator") == true);
    EXPECT_TRUE(producer->try_send(Reading{1, ""}).has_value());
  });
}

TEST(StreamsStatus, conditions_re_trigger_after_a_peer_leaves_and_returns) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node();
    auto producer = a.streams().produce<Reading>();
    auto subscribed = producer.when().subscribed();
    {
      auto b = co_await test::node(a.local().addr());
      auto consumer = b.streams().consume<Reading>();
      co_await test::timeout_s(15, subscribed.wait());
      EXPECT_TRUE(producer.is_online());
    }
    co_await test::timeout_s(15, producer.when().unsubscribed());
    co_await test::timeout_s(5, producer.when().offline());
    EXPECT_FALSE(subscribed.is_condition_met());
    auto c = co_await test::node(a.local().addr());
    auto consumer = c.streams().consume<Reading>();
    co_await test::timeout_s(15, subscribed.wait());  // resolves again
    EXPECT_TRUE(producer.is_online());
    co_await test::timeout_s(5, consumer.when().subscribed().to_at_least(1));
    auto fewer = consumer.when().subscribed().minimum_of(2).unmet();
    EXPECT_TRUE(fewer == true);
  });
}

}  // namespace
}  // namespace status_net_test
}  // namespace mosaik
