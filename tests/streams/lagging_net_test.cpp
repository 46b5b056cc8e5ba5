// A consumer that stops reading while the producer's sender for it is blocked in the
// transport (QUIC flow control): disconnect_lagging must still close it with TooSlow, free
// its max_consumers slot, and never hold up the consumers that keep reading (issue 14, 6).

#include <gtest/gtest.h>

#include <chrono>

#include "mosaik/primitives/async/block_on.hpp"
#include "protocol.hpp"
#include "streams_fixture.hpp"

namespace mosaik {
namespace lagging_net_test {
namespace {

using test::Reading;
using Clock = std::chrono::steady_clock;

// A node that grants each stream a small receive window, so a link it stops reading
// blocks the producer's sender after a few datums.
asio::awaitable<Network> node_with_small_window(EndpointAddr seed) {
  transport::EndpointConfig transport;
  transport.stream_window_bytes = 64 * 1024;
  const std::set<SocketAddr> loopback = {SocketAddr(asio::ip::make_address("127.0.0.1"), 0)};
  auto builder = Network::builder(test::kStreamsNet);
  builder.with_addresses(loopback)
      .with_relay_mode(RelayMode::kDisabled)
      .with_discovery(test::fast_discovery().with_bootstrap(seed))
      .with_transport(transport);
  auto built = co_await builder.build();
  CO_ASSERT_TRUE(built.has_value());
  co_return std::move(*built);
}

// Subscribes `from` to `producer`'s Reading stream by hand and returns the link once the
// subscription is accepted; the caller then does not read it: a consumer that stalls.
asio::awaitable<transport::RawLink> stalled_subscription(Network& from, const Network& producer) {
  auto conn = co_await from.local().endpoint().connect(producer.local().addr(),
                                                       std::string(streams::detail::kAlpn));
  CO_ASSERT_TRUE(conn.has_value());
  auto link = co_await conn->open_link();
  CO_ASSERT_TRUE(link.has_value());
  const streams::detail::Subscribe request{test::kStreamsNet, streams::derived_stream_id<Reading>(),
                                           streams::Criteria{}, from.discovery().me()};
  auto sent = co_await link->send_frame(wire::encode(request));
  CO_ASSERT_TRUE(sent.has_value());
  auto accepted = co_await test::timeout_s(10, link->recv_frame());
  CO_ASSERT_TRUE(accepted.has_value());
  co_return std::move(*link);
}

// The stalled consumer's channel on the producer, if it still holds one.
std::optional<streams::ChannelInfo> channel_of(const streams::Producer<Reading>& producer,
                                               const PeerId& consumer) {
  for (const auto& info : producer.consumers()) {
    if (info.consumer_id() == consumer) return info;
  }
  return std::nullopt;
}

// The producer sends in lockstep with the reading consumer `b` (one datum, then wait for
// it), so the stalled consumer's queue fills only once its sender has been blocked in the
// transport for kBuffer rounds: flow control, not a slow moment of the sender.
TEST(StreamsLagging,
     a_stalled_consumer_blocked_in_the_transport_is_closed_with_too_slow_within_2s) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node();
    auto b = co_await test::node(a.local().addr());
    auto c = co_await node_with_small_window(a.local().addr());
    constexpr std::size_t kBuffer = 64;
    auto producer =
        a.streams().producer<Reading>().with_buffer_size(kBuffer).with_max_consumers(2).build();
    CO_ASSERT_TRUE(producer.has_value());
    auto reader = b.streams().consume<Reading>();
    co_await test::timeout_s(15, producer->when().subscribed());
    auto stalled = co_await stalled_subscription(c, a);
    co_await test::timeout_s(5, producer->when().subscribed().minimum_of(2));

    const std::string note(4 * 1024, 'x');
    const auto limit = test::secs(2);
    // When the stalled consumer's sender last handed a datum to the transport.
    auto last_progress = Clock::now();
    std::uint64_t stalled_sent = 0;
    std::optional<Clock::time_point> gone;
    // Bounded in count; a 64 KiB window and 256 KiB unsent block the sender after ~80 datums,
    // and the 2 s limit below ends the loop long before the count (a round takes < 1 ms).
    for (std::uint64_t seq = 0; seq < 20'000; ++seq) {
      const auto datum = Reading{seq, note};
      auto sent = co_await producer->send(datum);
      CO_ASSERT_TRUE(sent.has_value());
      // The reading consumer never stalls: every datum reaches it promptly and in order.
      auto got = co_await test::timeout_s(2, reader.recv());
      CO_ASSERT_TRUE(got.has_value());
      CO_ASSERT_TRUE(got->seq == seq);
      const auto channel = channel_of(*producer, c.local().id());
      if (!channel) {
        gone = Clock::now();
        break;
      }
      if (channel->stats().datums() != stalled_sent) {
        stalled_sent = channel->stats().datums();
        last_progress = Clock::now();
      }
      // Its queue fills kBuffer rounds after its last progress; from then on it has 2 s.
      CO_ASSERT_TRUE(Clock::now() - last_progress < limit);
    }
    CO_ASSERT_TRUE(gone.has_value());
    const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(*gone - last_progress);
    fmt::print("stalled consumer: {} datums reached the transport; closed {} ms after that\n",
               stalled_sent, after.count());
    EXPECT_LT(after, limit);
    EXPECT_GT(stalled_sent, 0u);
    // Its slot is free: only the reading consumer is left.
    CO_ASSERT_TRUE(producer->consumers().size() == 1);
    EXPECT_EQ(producer->consumers()[0].consumer_id(), b.local().id());
    // Reading on, the stalled consumer finds what it was sent, then the reason: TooSlow.
    std::optional<transport::LinkError> closed;
    for (std::uint64_t frames = 0; frames < 10'000 && !closed; ++frames) {
      auto frame = co_await test::timeout_s(5, stalled.recv_frame());
      if (!frame) closed = frame.error();
    }
    CO_ASSERT_TRUE(closed.has_value());
    EXPECT_EQ(closed->reason, streams::close_reason::TooSlow) << closed->message;
    EXPECT_TRUE(closed->remote);
  });
}

}  // namespace
}  // namespace lagging_net_test
}  // namespace mosaik
