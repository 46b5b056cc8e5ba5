#include <gtest/gtest.h>

#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "mosaik/primitives/async/block_on.hpp"
#include "mosaik/primitives/async/timeout.hpp"
#include "mosaik/streams/conditions.hpp"
#include "mosaik/streams/stats.hpp"

namespace mosaik::streams {
namespace status_test {
namespace {

using namespace std::chrono_literals;

TEST(Stats, formats_like_the_seed) {
  EXPECT_EQ(format_duration(150s), "2m 30s");
  EXPECT_EQ(format_duration(3723s), "1h 2m 3s");
  EXPECT_EQ(format_duration(250ms), "250ms");
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(1'230'000), "1.23 MB");
  auto counters = std::make_shared<detail::StatsCounters>();
  counters->record(1000);
  counters->record(500);
  Stats stats(counters);
  EXPECT_EQ(stats.datums(), 2u);
  EXPECT_EQ(stats.bytes(), 1500u);
  EXPECT_FALSE(stats.uptime().has_value());
  EXPECT_EQ(stats.to_string(), "uptime: -, datums: 2, bytes: 1.50 kB");
  counters->mark_connected();
  EXPECT_TRUE(stats.uptime().has_value());
}

// A fake channel set: peers with tags, each Connected or not.
struct Channels {
  Watch<detail::ChannelSnapshot> watch{std::make_shared<const detail::ChannelList>()};
  std::vector<ChannelInfo> list;

  void add(std::initializer_list<Tag> tags, State state = State::Connected) {
    discovery::PeerEntry entry("net", EndpointAddr{SecretKey::generate().public_key(), {}, {}});
    for (const auto& t : tags) entry.add_tag(t);
    list.emplace_back(StreamId("s"), Criteria{}, PeerId{}, entry.peer_id(),
                      std::make_shared<const discovery::PeerEntry>(entry),
                      std::make_shared<detail::StatsCounters>(), Watch<State>(state));
    publish();
  }
  void drop_last() {
    list.pop_back();
    publish();
  }
  void publish() { watch.set(std::make_shared<const detail::ChannelList>(list)); }
};

TEST(ChannelConditions, minimum_tags_predicate_and_unmet) {
  Channels ch;
  ChannelConditions any(ch.watch.subscribe());
  EXPECT_FALSE(any.is_condition_met());
  ch.add({"validator"});
  EXPECT_TRUE(any == true);
  ch.add({"validator", "us-east"});
  ch.add({"observer"}, State::Connecting);  // not connected: never counts
  ChannelConditions two(ch.watch.subscribe());
  two.minimum_of(2).with_tags("validator");
  EXPECT_TRUE(two.is_condition_met());
  ChannelConditions both(ch.watch.subscribe());
  both.with_tags({"validator", "us-east"}).minimum_of(2);
  EXPECT_FALSE(both.is_condition_met());
  ChannelConditions pred(ch.watch.subscribe());
  pred.with_predicate([](const discovery::PeerEntry& p) { return p.tags().size() >= 2; });
  EXPECT_TRUE(pred.is_condition_met());
  ChannelConditions fewer(ch.watch.subscribe());
  fewer.minimum_of(3).unmet();
  EXPECT_TRUE(fewer.is_condition_met());
  ChannelConditions copy = two;  // copies are independent
  copy.minimum_of(5);
  EXPECT_TRUE(two.is_condition_met());
  EXPECT_FALSE(copy.is_condition_met());
}

// Lets every handler already queued on this single-threaded executor run.
asio::awaitable<void> drain_executor() {
  auto ex = co_await asio::this_coro::executor;
  for (int i = 0; i < 20; ++i) co_await asio::post(ex, asio::use_awaitable);
}

asio::awaitable<void> wait_and_flag(ChannelConditions& cond, bool& fired) {
  co_await cond.wait();
  fired = true;
}

TEST(ChannelConditions, rvalue_chain_is_awaitable_and_re_triggers) {
  block_on([]() -> asio::awaitable<void> {
    Channels ch;
    ch.add({"a"});
    co_await ChannelConditions(ch.watch.subscribe()).minimum_of(1);  // already met: immediate
    ChannelConditions cond(ch.watch.subscribe());
    co_await cond.wait();
    // Met again only after a transition not met -> met.
    bool fired = false;
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(ex, wait_and_flag(cond, fired), asio::detached);
    co_await drain_executor();
    EXPECT_FALSE(fired);  // still met, but it already resolved once
    ch.drop_last();
    co_await drain_executor();
    EXPECT_FALSE(fired);
    ch.add({"b"});
    co_await drain_executor();
    EXPECT_TRUE(fired);
  });
}

}  // namespace
}  // namespace status_test
}  // namespace mosaik::streams
