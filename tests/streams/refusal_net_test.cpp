// Refusals and bad input: each close reason reaches the consumer as a typed event.

#include <gtest/gtest.h>

#include "mosaik/primitives/async/block_on.hpp"
#include "mosaik/primitives/async/timeout.hpp"
#include "protocol.hpp"
#include "streams_fixture.hpp"

namespace mosaik {
namespace {

using test::Garbage;
using test::Reading;

TEST(StreamsRefusal, accept_if_rejection_is_not_allowed) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node();
    const std::vector<Tag> trusted = {"trusted"};
    auto good = co_await test::node(a.local().addr(), trusted);
    auto bad = co_await test::node(a.local().addr());
    auto producer = a.streams()
                        .producer<Reading>()
                        .accept_if([](const discovery::PeerEntry& p) { return p.tags().contains("trusted"); })
                        .build();
    CO_ASSERT_TRUE(producer.has_value());
    auto refused = bad.streams().consume<Reading>();
    auto events = refused.events();
    auto accepted = good.streams().consume<Reading>();
    auto ev = co_await test::until_event(events, streams::close_reason::NotAllowed, 15);
    EXPECT_TRUE(ev.remote);
    co_await test::timeout_s(10, accepted.when().online());
    co_await test::timeout_s(10, producer->when().online());
    CO_ASSERT_TRUE(producer->consumers().size() == 1);
    EXPECT_EQ(producer->consumers()[0].consumer_id(), good.local().id());
    EXPECT_FALSE(refused.is_online());
  });
}

TEST(StreamsRefusal, a_refused_consumer_gives_up_after_max_elapsed_time_until_the_entry_changes) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node();
    auto b = co_await test::node(a.local().addr());
    auto producer = a.streams()
                        .producer<Reading>()
                        .accept_if([](const discovery::PeerEntry&) { return false; })
                        .build();
    CO_ASSERT_TRUE(producer.has_value());
    const streams::ExponentialBackoff backoff{.initial_interval = std::chrono::milliseconds(20),
                                              .multiplier = 1.5,
                                              .max_interval = std::chrono::milliseconds(50),
                                              .max_elapsed_time = std::chrono::milliseconds(400),
                                              .randomization_factor = 0.0};
    auto consumer = b.streams().consumer<Reading>().with_backoff(backoff).build();
    auto events = consumer.events();
    // Refused, retried every 20-50 ms, then silence once 400 ms of failures have passed. A
    // consumer that never gave up would reach the bound on refusals instead.
    constexpr std::size_t kBound = 200;
    std::size_t refusals = 0;
    while (refusals < kBound) {
      auto got = co_await with_timeout(events.recv(), test::secs(2));
      if (!got) break;  // two seconds without an attempt
      if (*got && (*got)->reason == streams::close_reason::NotAllowed) ++refusals;
    }
    EXPECT_GE(refusals, 2u) << "the consumer did not retry before giving up";
    CO_ASSERT_TRUE(refusals < kBound);
    // A new version of the producer's entry is worth another attempt.
    a.discovery().add_tags("changed");
    auto ev = co_await test::until_event(events, streams::close_reason::NotAllowed, 10);
    EXPECT_EQ(ev.producer_id, a.local().id());
  });
}

TEST(StreamsRefusal, more_than_max_consumers_is_no_capacity) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node();
    auto b = co_await test::node(a.local().addr());
    auto c = co_await test::node(a.local().addr());
    auto producer = a.streams().producer<Reading>().with_max_consumers(1).build();
    CO_ASSERT_TRUE(producer.has_value());
    auto first = b.streams().consume<Reading>();
    co_await test::timeout_s(15, first.when().online());
    auto second = c.streams().consume<Reading>();
    auto events = second.events();
    auto ev = co_await test::until_event(events, streams::close_reason::NoCapacity, 15);
    EXPECT_EQ(ev.producer_id, a.local().id());
    EXPECT_EQ(producer->consumers().size(), 1u);
  });
}

TEST(StreamsRefusal, asking_for_an_unknown_stream_is_stream_not_found) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node();  // produces nothing
    auto b = co_await test::node();  // does not know `a` through gossip
    auto consumer = b.streams().consume<Reading>();
    auto events = consumer.events();
    // A (wrong) local entry claims `a` produces the stream.
    discovery::PeerEntry claim(test::kStreamsNet, a.local().addr());
    claim.add_stream(streams::derived_stream_id<Reading>());
    b.discovery().insert(claim);
    auto ev = co_await test::until_event(events, streams::close_reason::StreamNotFound, 15);
    EXPECT_TRUE(ev.remote);
    EXPECT_FALSE(consumer.is_online());
  });
}

TEST(StreamsRefusal, a_datum_that_does_not_decode_closes_only_its_channel) {
  block_on([]() -> asio::awaitable<void> {
    auto good = co_await test::node();
    auto evil = co_await test::node(good.local().addr());
    auto reader = co_await test::node(good.local().addr());
    const StreamId stream = "shared-stream";
    auto real = good.streams().producer<Reading>().with_stream_id(stream).build();
    auto fake = evil.streams().producer<Garbage>().with_stream_id(stream).build();
    CO_ASSERT_TRUE(real.has_value() && fake.has_value());
    auto consumer = reader.streams().consumer<Reading>().with_stream_id(stream).build();
    auto events = consumer.events();
    co_await test::timeout_s(15, consumer.when().subscribed().minimum_of(2));
    co_await test::timeout_s(10, fake->when().online());
    CO_ASSERT_TRUE(fake->try_send(Garbage{"not a reading"}).has_value());
    auto ev = co_await test::until_event(events, transport::close_reason::ProtocolViolation);
    EXPECT_EQ(ev.producer_id, evil.local().id());
    EXPECT_FALSE(ev.remote);
    EXPECT_GE(consumer.protocol_violations(), 1u);
    // The good channel still delivers; the garbage never reached the user.
    co_await test::timeout_s(10, real->when().online());
    const Reading ok{42, "ok"};
    auto sent = co_await real->send(ok);
    CO_ASSERT_TRUE(sent.has_value());
    auto got = co_await test::receive_n(consumer, 1);
    CO_ASSERT_TRUE(got.size() == 1);
    EXPECT_EQ(got[0].seq, 42u);
  });
}

}  // namespace
}  // namespace mosaik

namespace mosaik {
namespace {

// Opens a raw subscription link to `producer` and sends `payload` as its first frame.
asio::awaitable<transport::LinkError> raw_subscribe(Network& from, const Network& producer,
                                                    wire::Bytes payload) {
  auto conn = co_await from.local().endpoint().connect(producer.local().addr(),
                                                       std::string(streams::detail::kAlpn));
  CO_ASSERT_TRUE(conn.has_value());
  auto link = co_await conn->open_link();
  CO_ASSERT_TRUE(link.has_value());
  auto sent = co_await link->send_frame(payload);
  CO_ASSERT_TRUE(sent.has_value());
  auto reply = co_await test::timeout_s(10, link->recv_frame());
  CO_ASSERT_FALSE(reply.has_value());
  co_return reply.error();
}

TEST(StreamsRefusal, a_subscribe_that_does_not_decode_is_a_protocol_violation) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node();
    auto b = co_await test::node();
    auto producer = a.streams().produce<test::Reading>();
    const wire::Bytes garbage = {0xc1, 0x00, 0xff};
    auto error = co_await raw_subscribe(b, a, garbage);
    EXPECT_EQ(error.reason, transport::close_reason::ProtocolViolation);
    EXPECT_TRUE(error.remote);
    EXPECT_TRUE(producer.consumers().empty());
  });
}

TEST(StreamsRefusal, a_subscribe_with_someone_elses_entry_is_a_protocol_violation) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node();
    auto b = co_await test::node();
    auto c = co_await test::node();
    auto producer = a.streams().produce<test::Reading>();
    // b presents c's (validly signed) entry as its own.
    const streams::detail::Subscribe forged{test::kStreamsNet, streams::derived_stream_id<test::Reading>(),
                                            streams::Criteria{}, c.discovery().me()};
    const auto bytes = wire::encode(forged);
    auto error = co_await raw_subscribe(b, a, bytes);
    EXPECT_EQ(error.reason, transport::close_reason::ProtocolViolation);
    EXPECT_TRUE(producer.consumers().empty());
  });
}

}  // namespace
}  // namespace mosaik
