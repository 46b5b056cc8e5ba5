// Refusals and bad input: each close reason reaches the consumer as a typed event.

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <vector>

#include "mosaik/primitives/async/block_on.hpp"
#include "mosaik/primitives/async/timeout.hpp"
#include "protocol.hpp"
#include "streams_fixture.hpp"

namespace mosaik {
namespace refusal_net_test {
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
}  // namespace refusal_net_test
}  // namespace mosaik

namespace mosaik {
namespace refusal_net_test {
namespace {

using streams::detail::Subscribe;

// Opens a raw subscription link to `producer`, sends `payload` as its first frame and
// returns the producer's first answer (a SubscribeAccepted frame) or how the link closed.
asio::awaitable<std::expected<wire::Bytes, transport::LinkError>> raw_subscribe_reply(
    Network& from, const Network& producer, wire::Bytes payload) {
  auto conn = co_await from.local().endpoint().connect(producer.local().addr(),
                                                       std::string(streams::detail::kAlpn));
  CO_ASSERT_TRUE(conn.has_value());
  auto link = co_await conn->open_link();
  CO_ASSERT_TRUE(link.has_value());
  auto sent = co_await link->send_frame(payload);
  CO_ASSERT_TRUE(sent.has_value());
  co_return co_await test::timeout_s(10, link->recv_frame());
}

// The same for a subscription that must be refused: how its link was closed.
asio::awaitable<transport::LinkError> raw_subscribe(Network& from, const Network& producer,
                                                    wire::Bytes payload) {
  auto reply = co_await raw_subscribe_reply(from, producer, std::move(payload));
  CO_ASSERT_FALSE(reply.has_value());
  co_return reply.error();
}

// `node`'s own signed entry in a Subscribe for test::Reading, on `network`.
Subscribe subscribe_for_reading(const Network& node, NetworkId network = test::kStreamsNet) {
  return Subscribe{network, streams::derived_stream_id<test::Reading>(), streams::Criteria{},
                   node.discovery().me()};
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


// Without the network check the subscription would be served: the entry is valid and
// names the connected peer.
TEST(StreamsRefusal, a_subscribe_for_another_network_is_closed_with_different_network) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node();
    auto b = co_await test::node();
    auto producer = a.streams().produce<test::Reading>();
    const auto request = subscribe_for_reading(b, NetworkId("another-network"));
    auto error = co_await raw_subscribe(b, a, wire::encode(request));
    EXPECT_EQ(error.reason, transport::close_reason::DifferentNetwork) << error.message;
    EXPECT_TRUE(producer.consumers().empty());
  });
}

TEST(StreamsRefusal, a_subscribe_whose_entry_signature_does_not_verify_is_a_protocol_violation) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node();
    auto b = co_await test::node();
    auto producer = a.streams().produce<test::Reading>();
    // b's own entry, changed after signing: the signature no longer covers it.
    const auto genuine = b.discovery().me();
    discovery::PeerEntry changed = genuine.entry();
    changed.add_tag("trusted");
    auto request = subscribe_for_reading(b);
    request.consumer = discovery::SignedPeerEntry::from_parts(changed, genuine.signature());
    auto error = co_await raw_subscribe(b, a, wire::encode(request));
    EXPECT_EQ(error.reason, transport::close_reason::ProtocolViolation) << error.message;
    EXPECT_TRUE(producer.consumers().empty());
  });
}

// A valid, correctly signed Subscribe that is merely too large: the size alone refuses it.
TEST(StreamsRefusal, a_subscribe_frame_over_64_kib_is_refused_before_it_is_read) {
  block_on([]() -> asio::awaitable<void> {
    const auto key = SecretKey::generate();
    auto a = co_await test::node();
    auto b = co_await test::node(std::nullopt, {}, key);
    auto producer = a.streams().produce<test::Reading>();
    discovery::PeerEntry bulky = b.discovery().me().entry();
    for (std::uint64_t i = 0; i < 2100; ++i) bulky.add_tag(Tag::from_u64(i));
    auto request = subscribe_for_reading(b);
    request.consumer = discovery::SignedPeerEntry::sign(bulky, key);
    const auto bytes = wire::encode(request);
    CO_ASSERT_TRUE(bytes.size() > streams::detail::kMaxSubscribeFrame);
    auto error = co_await raw_subscribe(b, a, bytes);
    EXPECT_EQ(error.reason, transport::close_reason::ProtocolViolation) << error.message;
    EXPECT_TRUE(producer.consumers().empty());
    // The same request within the limit is served.
    const auto small = wire::encode(subscribe_for_reading(b));
    auto reply = co_await raw_subscribe_reply(b, a, small);
    EXPECT_TRUE(reply.has_value());
  });
}

// Both handshake slots are held by links that never send their Subscribe; a well-formed
// third subscription is closed at once instead of being served.
TEST(StreamsRefusal, a_subscription_beyond_max_pending_handshakes_is_cancelled_unserved) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node_with_streams(streams::Config::builder().with_max_pending_handshakes(2));
    auto b = co_await test::node();
    auto producer = a.streams().produce<test::Reading>();
    auto conn = co_await b.local().endpoint().connect(a.local().addr(),
                                                      std::string(streams::detail::kAlpn));
    CO_ASSERT_TRUE(conn.has_value());
    std::vector<transport::RawLink> silent;
    for (int i = 0; i < 2; ++i) {
      auto link = co_await conn->open_link();
      CO_ASSERT_TRUE(link.has_value());
      const wire::Bytes half_a_header = {0x00, 0x00};
      CO_ASSERT_TRUE((co_await link->send_framed(half_a_header)).has_value());
      silent.push_back(std::move(*link));
    }
    auto third = co_await conn->open_link();
    CO_ASSERT_TRUE(third.has_value());
    const auto request = wire::encode(subscribe_for_reading(b));
    CO_ASSERT_TRUE((co_await third->send_frame(request)).has_value());
    auto reply = co_await test::timeout_s(10, third->recv_frame());
    CO_ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().reason, transport::close_reason::Cancelled) << reply.error().message;
    EXPECT_TRUE(producer.consumers().empty());
  });
}

// The consumer sends nothing after its Subscribe; a frame more ends the subscription with
// ProtocolViolation (not just any close).
TEST(StreamsRefusal, data_sent_by_a_consumer_after_its_subscribe_closes_with_protocol_violation) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::node();
    auto b = co_await test::node();
    auto producer = a.streams().produce<test::Reading>();
    auto conn = co_await b.local().endpoint().connect(a.local().addr(),
                                                      std::string(streams::detail::kAlpn));
    CO_ASSERT_TRUE(conn.has_value());
    auto link = co_await conn->open_link();
    CO_ASSERT_TRUE(link.has_value());
    const auto request = wire::encode(subscribe_for_reading(b));
    CO_ASSERT_TRUE((co_await link->send_frame(request)).has_value());
    auto accepted = co_await test::timeout_s(10, link->recv_frame());
    CO_ASSERT_TRUE(accepted.has_value());
    const wire::Bytes unexpected = {0x01};
    CO_ASSERT_TRUE((co_await link->send_frame(unexpected)).has_value());
    auto next = co_await test::timeout_s(10, link->recv_frame());
    CO_ASSERT_FALSE(next.has_value());
    EXPECT_EQ(next.error().reason, transport::close_reason::ProtocolViolation) << next.error().message;
    EXPECT_TRUE(next.error().remote);
  });
}

// A fake producer (a bare endpoint serving the streams ALPN) answers every Subscribe with a
// SubscribeAccepted for another stream.
asio::awaitable<void> accept_for_another_stream(transport::RawLink link) {
  auto request = co_await link.recv_frame();
  if (!request) co_return;
  const streams::detail::SubscribeAccepted wrong{StreamId("not-the-stream-asked-for")};
  if (!co_await link.send_frame(wire::encode(wrong))) co_return;
  (void)co_await link.recv_frame();  // held until the consumer closes it
}

asio::awaitable<void> serve_wrong_acceptances(transport::Connection conn) {
  for (;;) {  // ends with the connection
    auto link = co_await conn.accept_link();
    if (!link) co_return;
    asio::co_spawn(conn.executor(), accept_for_another_stream(std::move(*link)), asio::detached);
  }
}

TEST(StreamsRefusal, a_subscribe_accepted_for_another_stream_is_a_protocol_violation) {
  block_on([]() -> asio::awaitable<void> {
    auto fake = transport::Endpoint::bind(SecretKey::generate(), transport::EndpointConfig{});
    CO_ASSERT_TRUE(fake.has_value());
    fake->register_alpn(std::string(streams::detail::kAlpn), [](transport::Connection conn) {
      auto executor = conn.executor();
      asio::co_spawn(executor, serve_wrong_acceptances(std::move(conn)), asio::detached);
    });
    auto reader = co_await test::node();
    auto consumer = reader.streams().consume<test::Reading>();
    auto events = consumer.events();
    discovery::PeerEntry claim(test::kStreamsNet, fake->addr());
    claim.add_stream(streams::derived_stream_id<test::Reading>());
    reader.discovery().insert(claim);
    auto ev = co_await test::until_event(events, transport::close_reason::ProtocolViolation, 10);
    EXPECT_FALSE(ev.remote);
    EXPECT_EQ(ev.producer_id, fake->id());
    EXPECT_FALSE(consumer.is_online());
  });
}

}  // namespace
}  // namespace refusal_net_test
}  // namespace mosaik
