// Network::shutdown(): idempotent, announces the departure, flushes what producers queued
// and closes with GracefulShutdown (issue 14). The same through real processes and signals:
// tests/examples/quickstart_signal_test.cpp.

#include <gtest/gtest.h>

#include <asio/experimental/awaitable_operators.hpp>
#include <chrono>

#include "mosaik/primitives/async/block_on.hpp"
#include "node_fixture.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace shutdown_net_test {
namespace {

using test::make_node;
using test::until_knows;

const NetworkId kNet = "shutdown-net-test";

struct Sample {
  std::uint64_t seq = 0;
  std::string pad;
  MSGPACK_DEFINE(seq, pad);
  static constexpr std::string_view stream_name = "shutdown-net/sample";
};

// A second stream: a consumer of both shares one connection to the producer node.
struct Other {
  std::uint64_t seq = 0;
  std::string pad;
  MSGPACK_DEFINE(seq, pad);
  static constexpr std::string_view stream_name = "shutdown-net/other";
};

asio::awaitable<discovery::PeerDeparted> until_departed(BroadcastReceiver<discovery::Event>& events,
                                                        PeerId peer) {
  for (;;) {  // ends by the caller's timeout
    auto ev = co_await events.recv();
    if (!ev) continue;
    if (const auto* d = std::get_if<discovery::PeerDeparted>(&*ev); d && d->peer_id == peer)
      co_return *d;
  }
}

std::string describe(BroadcastReceiver<streams::ChannelEvent>& events) {
  std::string out;
  for (int i = 0; i < 100; ++i) {
    auto ev = events.try_recv();
    if (!ev) break;
    out += fmt::format("[{} remote={} {}] ", ev->reason, ev->remote, ev->message);
  }
  return out;
}

TEST(Shutdown, announces_the_departure_at_once_and_a_second_call_returns_at_once) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await make_node(kNet);
    auto b = co_await make_node(kNet, test::fast_discovery().with_bootstrap(a.local().addr()));
    co_await until_knows(a, b.local().id());
    auto events = a.discovery().events();
    const auto started = std::chrono::steady_clock::now();
    co_await b.shutdown();
    (void)co_await test::timeout_s(1, until_departed(events, b.local().id()));
    EXPECT_FALSE(a.discovery().catalog().contains(b.local().id()));
    const auto first = std::chrono::steady_clock::now() - started;
    // Idempotent: nothing is left to do.
    const auto again = std::chrono::steady_clock::now();
    co_await b.shutdown();
    EXPECT_LT(std::chrono::steady_clock::now() - again, test::millis(100));
    EXPECT_LT(first, test::secs(3));
    // The handle stays usable; what it makes is closed.
    auto late = b.streams().produce<Sample>();
    const auto sample = Sample{0, {}};
    auto sent = late.try_send(sample);
    CO_ASSERT_FALSE(sent.has_value());
    EXPECT_TRUE(sent.error().is_closed());
  });
}

// Everything send() accepted before shutdown() reaches the consumer, and then the
// subscription ends with GracefulShutdown. Before the flush, the queue and the bytes in
// flight were dropped by a reset.
TEST(Shutdown, what_a_producer_queued_reaches_its_consumer_before_the_graceful_close) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await make_node(kNet);
    auto b = co_await make_node(kNet, test::fast_discovery().with_bootstrap(a.local().addr()));
    auto producer = a.streams().producer<Sample>().disconnect_lagging(false).build();
    CO_ASSERT_TRUE(producer.has_value());
    auto consumer = b.streams().consume<Sample>();
    auto channel_events = consumer.events();
    co_await test::timeout_s(15, producer->when().online());
    constexpr std::uint64_t kCount = 3000;
    const std::string pad(2048, 'p');
    for (std::uint64_t i = 0; i < kCount; ++i) {
      const auto sample = Sample{i, pad};
      auto sent = co_await producer->send(sample);
      CO_ASSERT_TRUE(sent.has_value());
    }
    // The consumer reads while the producer flushes (its inbox alone cannot hold it all).
    auto receive_all = [](streams::Consumer<Sample>& c,
                          std::uint64_t& in_order) -> asio::awaitable<void> {
      for (; in_order < kCount; ++in_order) {
        auto got = co_await c.recv();
        if (!got || got->seq != in_order) break;
      }
    };
    std::uint64_t received = 0;
    using namespace asio::experimental::awaitable_operators;
    (void)co_await (a.shutdown() && with_timeout(receive_all(consumer, received), test::secs(10)));
    const auto events = describe(channel_events);
    EXPECT_EQ(received, kCount) << events;
    // The subscription ended because the producer shut down.
    EXPECT_NE(events.find("GracefulShutdown(204) remote=true"), std::string::npos) << events;
  });
}

// The last handle's destruction runs the same shutdown: what was sent still arrives. (The
// consumer reads only afterwards, so the datums fit in its inbox: 500 < 1024.)
TEST(Shutdown, the_last_handle_going_flushes_like_shutdown) {
  block_on([]() -> asio::awaitable<void> {
    auto b = co_await make_node(kNet);
    auto consumer = b.streams().consume<Sample>();
    auto channel_events = consumer.events();
    constexpr std::uint64_t kCount = 500;
    // Outlives the node: the node's shutdown is what flushes here. (Dropping the producer's
    // last handle would deliver too: tests/streams/producer_drop_net_test.cpp.)
    std::optional<streams::Producer<Sample>> producer;
    {
      auto a = co_await make_node(kNet, test::fast_discovery().with_bootstrap(b.local().addr()));
      auto built = a.streams().producer<Sample>().disconnect_lagging(false).build();
      CO_ASSERT_TRUE(built.has_value());
      producer = std::move(*built);
      co_await test::timeout_s(15, producer->when().online());
      const std::string pad(2048, 'p');
      for (std::uint64_t i = 0; i < kCount; ++i) {
        const auto sample = Sample{i, pad};
        auto sent = co_await producer->send(sample);
        CO_ASSERT_TRUE(sent.has_value());
      }
    }  // the node's last handle goes here
    std::uint64_t received = 0;
    for (; received < kCount; ++received) {
      auto got = co_await with_timeout(consumer.recv(), test::secs(5));
      if (!got || !*got || (*got)->seq != received) break;
    }
    EXPECT_EQ(received, kCount) << fmt::format("events: {}", describe(channel_events));
    auto first_event =
        [](BroadcastReceiver<streams::ChannelEvent>& rx) -> asio::awaitable<streams::ChannelEvent> {
      for (;;) {  // bounded by the timeout around it
        auto ev = co_await rx.recv();
        if (ev) co_return *ev;
      }
    };
    const auto ev = co_await test::timeout_s(5, first_event(channel_events));
    EXPECT_EQ(ev.reason, transport::close_reason::GracefulShutdown) << ev.message;
  });
}

template <class D>
asio::awaitable<std::uint64_t> receive_in_order(streams::Consumer<D> consumer,
                                                std::uint64_t count) {
  std::uint64_t in_order = 0;
  for (; in_order < count; ++in_order) {
    auto got = co_await consumer.recv();
    if (!got || got->seq != in_order) break;
  }
  co_return in_order;
}

template <class D>
asio::awaitable<void> send_all(streams::Producer<D> producer, std::uint64_t count) {
  const std::string pad(2048, 'p');
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto datum = D{i, pad};
    auto sent = co_await producer.send(datum);
    CO_ASSERT_TRUE(sent.has_value());
  }
}

// Two streams of one node to one consumer node share a connection: it may close only once
// both fanouts have handed over what they queued.
TEST(Shutdown, two_streams_sharing_a_connection_are_both_flushed) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await make_node(kNet);
    auto b = co_await make_node(kNet, test::fast_discovery().with_bootstrap(a.local().addr()));
    auto p1 = a.streams().producer<Sample>().disconnect_lagging(false).build();
    auto p2 = a.streams().producer<Other>().disconnect_lagging(false).build();
    CO_ASSERT_TRUE(p1.has_value() && p2.has_value());
    auto c1 = b.streams().consume<Sample>();
    auto c2 = b.streams().consume<Other>();
    co_await test::timeout_s(15, p1->when().online());
    co_await test::timeout_s(15, p2->when().online());
    constexpr std::uint64_t kCount = 2000;
    using namespace asio::experimental::awaitable_operators;
    co_await (send_all(*p1, kCount) && send_all(*p2, kCount));
    const auto [got1, got2] =
        co_await (a.shutdown() && test::timeout_s(10, receive_in_order(c1, kCount)) &&
                  test::timeout_s(10, receive_in_order(c2, kCount)));
    EXPECT_EQ(got1, kCount);
    EXPECT_EQ(got2, kCount);
  });
}

}  // namespace
}  // namespace shutdown_net_test
}  // namespace mosaik
