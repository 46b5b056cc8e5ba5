// Builder options and defaults, handle sharing, and the sends that need no consumer.

#include <gtest/gtest.h>

#include "mosaik/primitives/async/block_on.hpp"
#include "streams_fixture.hpp"

namespace mosaik {
namespace builder_net_test {
namespace {

using test::Reading;

TEST(StreamsBuilder, producer_defaults_are_the_seeds) {
  block_on([]() -> asio::awaitable<void> {
    auto n = co_await test::node();
    auto builder = n.streams().producer<Reading>();
    const auto& s = builder.settings();
    EXPECT_EQ(s.stream_id, streams::derived_stream_id<Reading>());
    EXPECT_EQ(s.stream_id, StreamId("test/reading"));
    EXPECT_TRUE(s.disconnect_lagging);
    EXPECT_EQ(s.buffer_size, 1024u);
    EXPECT_EQ(s.max_consumers, std::numeric_limits<std::size_t>::max());
    EXPECT_FALSE(s.accept_if);
    EXPECT_FALSE(s.online_when);
    builder.accept_if([](const discovery::PeerEntry&) { return true; })
        .online_when([](streams::ChannelConditions c) { return c.minimum_of(2).with_tags("x"); })
        .disconnect_lagging(false)
        .with_buffer_size(7)
        .with_max_consumers(3)
        .with_stream_id("custom")
        .with_undelivered_sink([](Reading) {});
    EXPECT_EQ(s.stream_id, StreamId("custom"));
    EXPECT_FALSE(s.disconnect_lagging);
    EXPECT_EQ(s.buffer_size, 7u);
    EXPECT_EQ(s.max_consumers, 3u);
    EXPECT_TRUE(s.accept_if);
    auto p = builder.build();
    CO_ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->stream_id(), StreamId("custom"));
    EXPECT_FALSE(p->is_online());  // needs two "x" subscribers
    EXPECT_TRUE(n.discovery().me().entry().streams().contains(StreamId("custom")));
  });
}

TEST(StreamsBuilder, consumer_defaults_are_the_seeds) {
  block_on([]() -> asio::awaitable<void> {
    auto n = co_await test::node();
    auto builder = n.streams().consumer<Reading>();
    const auto& s = builder.settings();
    EXPECT_EQ(s.stream_id, StreamId("test/reading"));
    EXPECT_FALSE(s.subscribe_if);
    EXPECT_FALSE(s.backoff.has_value());  // the streams config's
    EXPECT_EQ(n.streams().config().backoff().max_elapsed_time,
              std::chrono::milliseconds(std::chrono::minutes(5)));
    streams::ExponentialBackoff fast{.initial_interval = std::chrono::milliseconds(10)};
    builder.subscribe_if([](const discovery::PeerEntry&) { return true; })
        .with_criteria(streams::Criteria{})
        .with_stream_id("custom")
        .with_backoff(fast);
    EXPECT_EQ(s.stream_id, StreamId("custom"));
    EXPECT_EQ(s.backoff, fast);
    auto c = builder.build();
    EXPECT_EQ(c.stream_id(), StreamId("custom"));
    EXPECT_FALSE(c.is_online());
    auto empty = c.try_recv();
    CO_ASSERT_FALSE(empty.has_value());
    EXPECT_EQ(empty.error(), streams::TryRecvError::Empty);
  });
}

TEST(StreamsBuilder, build_twice_gives_already_exists_with_the_live_producer) {
  block_on([]() -> asio::awaitable<void> {
    auto n = co_await test::node();
    auto first = n.streams().producer<Reading>().build();
    CO_ASSERT_TRUE(first.has_value());
    auto second = n.streams().producer<Reading>().build();
    CO_ASSERT_FALSE(second.has_value());
    auto existing = std::get<streams::AlreadyExists<Reading>>(second.error()).existing();
    EXPECT_EQ(existing.stream_id(), first->stream_id());
    // produce() hands out the same fanout instead of a second one.
    auto again = n.streams().produce<Reading>();
    EXPECT_EQ(again.stream_id(), first->stream_id());
    EXPECT_FALSE(n.streams().producer<Reading>().build().has_value());
  });
}

TEST(StreamsBuilder, dropping_every_producer_handle_withdraws_the_stream) {
  block_on([]() -> asio::awaitable<void> {
    auto n = co_await test::node();
    {
      auto p = n.streams().produce<Reading>();
      auto copy = p;
      EXPECT_TRUE(n.discovery().me().entry().streams().contains(StreamId("test/reading")));
    }
    EXPECT_FALSE(n.discovery().me().entry().streams().contains(StreamId("test/reading")));
    auto fresh = n.streams().producer<Reading>().build();
    EXPECT_TRUE(fresh.has_value());
  });
}

TEST(StreamsBuilder, try_send_without_consumers_is_offline_and_gives_the_datum_back) {
  block_on([]() -> asio::awaitable<void> {
    auto n = co_await test::node();
    auto p = n.streams().produce<Reading>();
    EXPECT_FALSE(p.is_online());
    auto sent = p.try_send(Reading{7, "x"});
    CO_ASSERT_FALSE(sent.has_value());
    EXPECT_TRUE(sent.error().is_offline());
    CO_ASSERT_TRUE(sent.error().datum.has_value());
    EXPECT_EQ(sent.error().datum->seq, 7u);
  });
}

TEST(StreamsBuilder, undelivered_sink_gets_what_nobody_matched) {
  block_on([]() -> asio::awaitable<void> {
    auto n = co_await test::node();
    std::vector<Reading> undelivered;
    auto p = n.streams()
                 .producer<Reading>()
                 .online_when([](streams::ChannelConditions c) { return c.minimum_of(0); })
                 .with_undelivered_sink([&undelivered](Reading r) { undelivered.push_back(r); })
                 .build();
    CO_ASSERT_TRUE(p.has_value());
    EXPECT_TRUE(p->is_online());
    co_await p->when().online();
    const Reading first{1, "a"};
    auto sent = co_await p->send(first);
    EXPECT_TRUE(sent.has_value());
    EXPECT_TRUE(p->try_send(Reading{2, "b"}).has_value());
    CO_ASSERT_TRUE(undelivered.size() == 2);
    EXPECT_EQ(undelivered[1].seq, 2u);
  });
}

TEST(StreamsBuilder, a_consumer_outliving_its_node_reports_disconnected) {
  block_on([]() -> asio::awaitable<void> {
    std::optional<streams::Consumer<Reading>> consumer;
    {
      auto n = co_await test::node();
      consumer.emplace(n.streams().consume<Reading>());
    }
    auto got = consumer->try_recv();
    CO_ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error(), streams::TryRecvError::Disconnected);
    auto none = co_await test::timeout_s(5, consumer->recv());
    EXPECT_FALSE(none.has_value());
  });
}

TEST(StreamsBuilder, a_producer_outliving_its_node_is_closed) {
  block_on([]() -> asio::awaitable<void> {
    std::optional<streams::Producer<Reading>> producer;
    {
      auto n = co_await test::node();
      producer.emplace(n.streams().produce<Reading>());
    }
    auto sent = producer->try_send(Reading{1, "late"});
    CO_ASSERT_FALSE(sent.has_value());
    EXPECT_TRUE(sent.error().is_closed());
    EXPECT_EQ(sent.error().datum->note, "late");
    const Reading again{2, "late"};
    auto waited = co_await test::timeout_s(5, producer->send(again));
    EXPECT_FALSE(waited.has_value());
  });
}

}  // namespace
}  // namespace builder_net_test
}  // namespace mosaik
