// What a consumer's user reads at info through one subscription's life: subscribed, lost when
// the producer goes, restored when it comes back on the same key; and at warn, a producer it
// cannot reach, with the wait before the next try.

#include <gtest/gtest.h>

#include "captured_log.hpp"
#include "mosaik/primitives/async/block_on.hpp"
#include "streams_fixture.hpp"

namespace mosaik {
namespace stream_log_net_test {
namespace {

using test::Reading;

TEST(StreamLog, a_subscription_is_logged_when_established_lost_and_restored) {
  test::CapturedLog log("streams");
  const auto key = SecretKey::generate();
  const std::string producer_id = fmt::format("{}", key.public_key());
  {
    auto b = block_on(test::node());
    auto consumer = b.streams()
                        .consumer<Reading>()
                        .with_backoff(test::quick_backoff())
                        .build();
    const std::vector<Tag> none;
    {
      auto a = block_on(test::node(b.local().addr(), none, key));
      auto producer = a.streams().produce<Reading>();
      EXPECT_TRUE(log.wait_for("info", "subscribed to producer " + producer_id, 15));
    }
    EXPECT_TRUE(log.wait_for("info", "lost producer " + producer_id, 15));
    auto again = block_on(test::node(b.local().addr(), none, key));
    auto producer = again.streams().produce<Reading>();
    EXPECT_TRUE(log.wait_for("info", "subscription restored to producer " + producer_id, 20));
  }
}

// A producer whose entry names an address where nothing answers.
TEST(StreamLog, a_producer_that_cannot_be_reached_is_a_warning_per_backoff_step) {
  test::CapturedLog log("streams");
  {
    auto b = block_on(test::node());
    auto consumer = b.streams()
                        .consumer<Reading>()
                        .with_backoff(test::quick_backoff())
                        .build();
    const SecretKey ghost = SecretKey::generate();
    discovery::PeerEntry entry(test::kStreamsNet,
                               EndpointAddr(ghost.public_key(), {SocketAddr(asio::ip::make_address("127.0.0.1"), 9)}));
    entry.add_stream(streams::derived_stream_id<Reading>());
    b.discovery().insert(entry);
    EXPECT_TRUE(log.wait_for(
        "warning", fmt::format("cannot subscribe to producer {}", ghost.public_key()), 15));
    EXPECT_TRUE(log.has("warning", "retrying in"));
  }
}

}  // namespace
}  // namespace stream_log_net_test
}  // namespace mosaik
