// Datums flow: fanout to many consumers in order, several producers of one stream,
// backpressure versus disconnecting a lagging consumer.

#include <gtest/gtest.h>

#include <asio/detached.hpp>
#include <asio/this_coro.hpp>

#include "mosaik/primitives/async/block_on.hpp"
#include "streams_fixture.hpp"

namespace mosaik {
namespace fanout_net_test {
namespace {

using test::Reading;

TEST(StreamsFanout, one_producer_three_consumers_each_get_everything_in_order) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node();
    const auto seed = a.local().addr();
    auto b = co_await test::node(seed);
    auto c = co_await test::node(seed);
    auto d = co_await test::node(seed);
    auto producer = a.streams().produce<Reading>();
    auto cb = b.streams().consume<Reading>();
    auto cc = c.streams().consume<Reading>();
    auto cd = d.streams().consume<Reading>();
    co_await test::timeout_s(15, producer.when().subscribed().minimum_of(3));
    EXPECT_EQ(producer.consumers().size(), 3u);
    constexpr std::uint64_t kCount = 500;
    for (std::uint64_t i = 0; i < kCount; ++i) {
      const auto datum_31 = Reading{i, "r"};
      auto sent = co_await producer.send(datum_31);
      CO_ASSERT_TRUE(sent.has_value());
    }
    for (auto* consumer : {&cb, &cc, &cd}) {
      auto got = co_await test::receive_n(*consumer, kCount);
      CO_ASSERT_TRUE(got.size() == kCount);
      for (std::uint64_t i = 0; i < kCount; ++i) EXPECT_EQ(got[i].seq, i);
      EXPECT_EQ(consumer->stats().datums(), kCount);
      EXPECT_TRUE(consumer->stats().uptime().has_value());
      CO_ASSERT_TRUE(consumer->producers().size() == 1);
      EXPECT_EQ(consumer->producers()[0].producer_id(), a.local().id());
      EXPECT_EQ(consumer->producers()[0].state(), streams::State::Connected);
    }
    // Per-channel stats on the producer side count what each consumer was sent.
    for (const auto& info : producer.consumers()) {
      EXPECT_EQ(info.producer_id(), a.local().id());
      EXPECT_EQ(info.stream_id(), StreamId("test/reading"));
    }
  });
}

// Datum i's note: mostly a few bytes, every 7th 3000 bytes, every 100th 100 KiB (larger
// than a queue chunk), so copied and shared frames interleave in every queue.
std::string mixed_note(std::uint64_t i) {
  const std::size_t size = i % 100 == 0 ? 100 * 1024 : (i % 7 == 0 ? 3000 : 3);
  std::string note(size, '\0');
  for (std::size_t k = 0; k < size; ++k) note[k] = static_cast<char>('a' + (i + k) % 26);
  return note;
}

asio::awaitable<void> send_and_expect_mixed_sizes(Network& producer_node,
                                                   std::vector<Network*> consumer_nodes) {
  // Backpressure: everything is sent before anything is read.
  auto built = producer_node.streams().producer<Reading>().disconnect_lagging(false).build();
  CO_ASSERT_TRUE(built.has_value());
  auto producer = *built;
  std::vector<streams::Consumer<Reading>> consumers;
  for (auto* n : consumer_nodes) consumers.push_back(n->streams().consume<Reading>());
  co_await test::timeout_s(15, producer.when().subscribed().minimum_of(consumers.size()));
  constexpr std::uint64_t kCount = 1500;
  for (std::uint64_t i = 0; i < kCount; ++i) {
    const auto datum = Reading{i, mixed_note(i)};  // named, not a temporary in co_await
    auto sent = co_await producer.send(datum);
    CO_ASSERT_TRUE(sent.has_value());
  }
  for (auto& consumer : consumers) {
    auto got = co_await test::receive_n(consumer, kCount, 20);
    CO_ASSERT_TRUE(got.size() == kCount);
    for (std::uint64_t i = 0; i < kCount; ++i) {
      EXPECT_EQ(got[i].seq, i);
      EXPECT_TRUE(got[i].note == mixed_note(i)) << "datum " << i << " arrived altered";
    }
  }
}

TEST(StreamsFanout, mixed_datum_sizes_arrive_intact_and_in_order_to_one_consumer) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node();
    auto b = co_await test::node(a.local().addr());
    std::vector<Network*> consumers{&b};  // named: g++ 12 and braced temporaries in co_await
    co_await send_and_expect_mixed_sizes(a, consumers);
  });
}

TEST(StreamsFanout, mixed_datum_sizes_arrive_intact_and_in_order_to_three_consumers) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node();
    const auto seed = a.local().addr();
    auto b = co_await test::node(seed);
    auto c = co_await test::node(seed);
    auto d = co_await test::node(seed);
    std::vector<Network*> consumers{&b, &c, &d};
    co_await send_and_expect_mixed_sizes(a, consumers);
  });
}

TEST(StreamsFanout, two_producers_of_one_stream_feed_one_consumer) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node();
    auto b = co_await test::node(a.local().addr());
    auto c = co_await test::node(a.local().addr());
    auto pa = a.streams().produce<Reading>();
    auto pb = b.streams().produce<Reading>();
    auto consumer = c.streams().consume<Reading>();
    co_await test::timeout_s(15, consumer.when().subscribed().to_at_least(2));
    co_await test::timeout_s(10, pa.when().online());
    co_await test::timeout_s(10, pb.when().online());
    for (std::uint64_t i = 0; i < 50; ++i) {
      const auto datum_64 = Reading{i, "a"};
      auto sa = co_await pa.send(datum_64);
      const auto datum_65 = Reading{i, "b"};
      auto sb = co_await pb.send(datum_65);
      CO_ASSERT_TRUE(sa.has_value() && sb.has_value());
    }
    auto got = co_await test::receive_n(consumer, 100);
    CO_ASSERT_TRUE(got.size() == 100);
    // Each producer's datums arrive in its own order.
    std::uint64_t next_a = 0, next_b = 0;
    for (const auto& r : got) {
      if (r.note == "a") {
        EXPECT_EQ(r.seq, next_a++);
      } else {
        EXPECT_EQ(r.seq, next_b++);
      }
    }
    EXPECT_EQ(next_a, 50u);
    EXPECT_EQ(next_b, 50u);
  });
}

asio::awaitable<void> send_tail(streams::Producer<Reading>& producer, std::uint64_t from, bool& done) {
  for (std::uint64_t i = from; i < from + 20; ++i) {
    const auto datum_86 = Reading{i, "tail"};
    auto sent = co_await producer.send(datum_86);
    if (!sent) co_return;
  }
  done = true;
}

// A consumer that never reads: its inbox fills, QUIC flow control stops the producer's
// sender, and the producer's bounded queue fills.
TEST(StreamsFanout, disconnect_lagging_closes_a_stalled_consumer_with_too_slow) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node();
    auto b = co_await test::node(a.local().addr());
    auto producer = a.streams().producer<Reading>().with_buffer_size(8).build();
    CO_ASSERT_TRUE(producer.has_value());
    auto consumer = b.streams().consume<Reading>();
    auto events = consumer.events();
    co_await test::timeout_s(15, producer->when().online());
    const std::string big(16 * 1024, 'x');
    std::uint64_t sent = 0;
    for (; sent < 20'000; ++sent) {
      auto r = producer->try_send(Reading{sent, big});
      if (!r) {
        CO_ASSERT_TRUE(r.error().is_offline());  // never Full: the laggard is dropped instead
        break;
      }
    }
    CO_ASSERT_TRUE(sent < 20'000);
    co_await test::timeout_s(10, producer->when().unsubscribed());
    // The consumer learns why once it drains what had already arrived.
    std::uint64_t drained = 0;
    while (consumer.try_recv()) ++drained;
    auto ev = co_await test::until_event(events, streams::close_reason::TooSlow);
    EXPECT_TRUE(ev.remote);
    EXPECT_EQ(ev.producer_id, a.local().id());
    EXPECT_LT(drained, sent);
  });
}

TEST(StreamsFanout, without_disconnect_lagging_a_full_queue_applies_backpressure) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node();
    auto b = co_await test::node(a.local().addr());
    auto producer =
        a.streams().producer<Reading>().with_buffer_size(8).disconnect_lagging(false).build();
    CO_ASSERT_TRUE(producer.has_value());
    auto consumer = b.streams().consume<Reading>();
    co_await test::timeout_s(15, producer->when().online());
    const std::string big(16 * 1024, 'x');
    std::uint64_t sent = 0;
    bool full = false;
    for (; sent < 20'000; ++sent) {
      auto r = producer->try_send(Reading{sent, big});
      if (!r) {
        CO_ASSERT_TRUE(r.error().is_full());
        CO_ASSERT_TRUE(r.error().datum->seq == sent);
        full = true;
        break;
      }
    }
    CO_ASSERT_TRUE(full);
    EXPECT_TRUE(producer->is_online());  // still subscribed: nobody was dropped
    // The consumer catches up while send() waits for room; every datum arrives in order.
    bool tail_sent = false;
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(ex, send_tail(*producer, sent, tail_sent), asio::detached);
    auto got = co_await test::receive_n(consumer, sent + 20, 30);
    CO_ASSERT_TRUE(got.size() == sent + 20);
    for (std::uint64_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].seq, i);
    EXPECT_TRUE(tail_sent);
  });
}

}  // namespace
}  // namespace fanout_net_test
}  // namespace mosaik
