// NetworkBuilder::with_metrics (issue 18): the Prometheus endpoint answers over HTTP and its
// counters move with the traffic: catalog peers, connections, bytes and packets, datums and
// bytes per stream and consumer, and per group the term, commit index, elections and commit
// latency. Loopback only.

#include <gtest/gtest.h>

#include <asio/ip/tcp.hpp>

#include <optional>
#include <regex>
#include <string>

#include "group_fixture.hpp"
#include "metrics_scrape.hpp"
#include "kv_machine.hpp"
#include "mosaik/mosaik.hpp"
#include "node_fixture.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace {

const NetworkId kNet = "metrics-net-test";

struct Tick {
  std::uint64_t n = 0;
  MSGPACK_DEFINE(n);
  static constexpr std::string_view stream_name = "metrics-test/tick";
};

// A datum big enough that a consumer that never reads fills its queue quickly.
struct Bulk {
  std::uint64_t n = 0;
  std::string payload;
  MSGPACK_DEFINE(n, payload);
  static constexpr std::string_view stream_name = "metrics-test/bulk";
};

using test::group_series;
using test::loopback_any;
using test::sample;
using test::scrape;

NetworkBuilder builder_with_metrics(SocketAddr metrics, discovery::Config::Builder discovery = test::fast_discovery()) {
  return test::builder_with_metrics(kNet, metrics, std::move(discovery));
}

asio::awaitable<Network> node_with_metrics(SocketAddr metrics,
                                           discovery::Config::Builder discovery = test::fast_discovery()) {
  return test::node_with_metrics(kNet, metrics, std::move(discovery));
}

std::string handshake_failures(std::string_view direction, std::string_view reason) {
  return fmt::format(R"(mosaik_transport_handshake_failures_total{{direction="{}",reason="{}"}})", direction,
                     reason);
}

// Outside the coroutine: g++ 12 cannot keep string-literal arrays in a coroutine frame.
std::vector<std::string> traffic_counters() {
  return {"mosaik_transport_sent_bytes_total", "mosaik_transport_received_bytes_total",
          "mosaik_transport_sent_packets_total", "mosaik_transport_received_packets_total"};
}

TEST(Metrics, a_scrape_over_http_shows_counters_that_move_with_the_traffic) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await node_with_metrics(loopback_any());
    CO_ASSERT_TRUE(a.metrics_address().has_value());
    const auto at = *a.metrics_address();
    EXPECT_NE(at.port(), 0);

    const auto before = scrape(at);
    EXPECT_EQ(sample(before, "mosaik_discovery_peers"), 0.0) << before;
    EXPECT_EQ(sample(before, "mosaik_transport_connections"), 0.0) << before;
    EXPECT_NE(before.find("# TYPE mosaik_transport_sent_bytes_total counter"), std::string::npos);
    EXPECT_TRUE(sample(before, handshake_failures("inbound", "busy")));
    EXPECT_TRUE(sample(before, handshake_failures("outbound", "busy")));

    auto b = co_await node_with_metrics(loopback_any(), test::fast_discovery().with_bootstrap(a.local().addr()));
    auto producer = a.streams().produce<Tick>();
    auto consumer = b.streams().consume<Tick>();
    for (std::uint64_t i = 0; i < 10; ++i) {
      CO_ASSERT_TRUE((co_await test::timeout_s(10, producer.send(Tick{i}))).has_value());
    }
    for (int i = 0; i < 10; ++i) CO_ASSERT_TRUE((co_await test::timeout_s(5, consumer.recv())).has_value());

    const auto after = scrape(at);
    EXPECT_EQ(sample(after, "mosaik_discovery_peers"), 1.0) << after;
    EXPECT_GE(sample(after, "mosaik_transport_connections").value_or(0), 1.0) << after;
    for (const auto& grows : traffic_counters()) {
      EXPECT_GT(sample(after, grows).value_or(0), sample(before, grows).value_or(0)) << grows << "\n" << after;
    }
    const auto stream = consumer.stream_id().to_short_hex();
    const auto datums = fmt::format(R"(mosaik_stream_sent_datums_total{{stream="{}",consumer="{}"}})",
                                    stream, b.local().id());
    EXPECT_EQ(sample(after, datums), 10.0) << datums << "\n" << after;
    const auto bytes = fmt::format(R"(mosaik_stream_sent_bytes_total{{stream="{}",consumer="{}"}})",
                                   stream, b.local().id());
    EXPECT_GT(sample(after, bytes).value_or(0), 0.0) << after;
    EXPECT_EQ(sample(after, fmt::format(R"(mosaik_stream_lagged_consumers_total{{stream="{}"}})",
                                        stream)),
              0.0)
        << after;
    // The consumer's side, per producer, on b.
    const auto consumed = scrape(*b.metrics_address());
    EXPECT_EQ(sample(consumed, fmt::format(R"(mosaik_stream_received_datums_total{{stream="{}",producer="{}"}})",
                                           stream, a.local().id())),
              10.0)
        << consumed;
    EXPECT_GT(sample(consumed, fmt::format(R"(mosaik_stream_received_bytes_total{{stream="{}",producer="{}"}})",
                                           stream, a.local().id()))
                  .value_or(0),
              0.0)
        << consumed;
    co_await b.shutdown();
    co_await a.shutdown();
  });
}

// A consumer that never reads is disconnected as too slow (disconnect_lagging, the default):
// the producer's node counts one lagged consumer and the datums it lost.
TEST(Metrics, a_consumer_dropped_as_too_slow_counts_as_lagged_with_its_dropped_datums) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await node_with_metrics(loopback_any());
    auto b = co_await test::make_node(kNet, test::fast_discovery().with_bootstrap(a.local().addr()));
    auto producer = a.streams().producer<Bulk>().with_buffer_size(8).build();
    CO_ASSERT_TRUE(producer.has_value());
    auto consumer = b.streams().consume<Bulk>();  // never reads
    co_await test::timeout_s(15, producer->when().online());
    const std::string big(16 * 1024, 'x');
    std::uint64_t sent = 0;
    for (; sent < 20'000; ++sent) {
      const Bulk datum{sent, big};
      if (!producer->try_send(datum)) break;  // Offline once the laggard is dropped
    }
    CO_ASSERT_TRUE(sent < 20'000);
    co_await test::timeout_s(10, producer->when().unsubscribed());
    const auto text = scrape(*a.metrics_address());
    const auto stream = consumer.stream_id().to_short_hex();
    EXPECT_EQ(sample(text, fmt::format(R"(mosaik_stream_lagged_consumers_total{{stream="{}"}})", stream)), 1.0)
        << text;
    EXPECT_GT(sample(text, fmt::format(R"(mosaik_stream_dropped_datums_total{{stream="{}"}})", stream)).value_or(0),
              0.0)
        << text;
    co_await b.shutdown();
    co_await a.shutdown();
  });
}

// Dials that fail count on the dialing side, by reason: a peer that answers with another key
// than the one dialed, and a peer that serves nothing for the ALPN. The dialed side counts
// no outbound failure (its inbound count comes once its side of the connection is gone).
TEST(Metrics, failed_dials_count_as_outbound_handshake_failures_by_reason) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await node_with_metrics(loopback_any());
    auto b = co_await node_with_metrics(loopback_any());
    auto impostor = b.local().addr();
    impostor.id = SecretKey::generate().public_key();  // b's address, another key
    auto mismatch = co_await a.local().endpoint().connect(impostor, "/mosaik/announce");
    CO_ASSERT_FALSE(mismatch.has_value());
    EXPECT_EQ(mismatch.error().kind, transport::ConnectError::Kind::kPeerMismatch);
    auto no_alpn = co_await a.local().endpoint().connect(b.local().addr(), "/nobody/serves-this");
    CO_ASSERT_FALSE(no_alpn.has_value());

    const auto dialer = scrape(*a.metrics_address());
    EXPECT_EQ(sample(dialer, handshake_failures("outbound", "peer_mismatch")), 1.0) << dialer;
    EXPECT_EQ(sample(dialer, handshake_failures("outbound", "invalid_alpn")), 1.0) << dialer;
    EXPECT_EQ(sample(dialer, handshake_failures("inbound", "invalid_alpn")), 0.0) << dialer;
    const auto dialed = scrape(*b.metrics_address());
    EXPECT_EQ(sample(dialed, handshake_failures("outbound", "invalid_alpn")), 0.0) << dialed;
    co_await b.shutdown();
    co_await a.shutdown();
  });
}

TEST(Metrics, group_series_show_the_term_and_elections_and_the_commit_index_grows_with_commands) {
  block_on([]() -> asio::awaitable<void> {
    std::vector<Network> nodes;
    nodes.push_back(co_await node_with_metrics(loopback_any()));
    const auto first = nodes.front().local().addr();
    for (int i = 0; i < 2; ++i) {
      nodes.push_back(co_await node_with_metrics(loopback_any(), test::fast_discovery().with_bootstrap(first)));
    }
    for (const auto& n : nodes) {
      co_await test::until_catalog(n, [](const discovery::Catalog& c) { return c.size() == 2; });
    }
    const auto key = groups::GroupKey::generate();
    std::vector<groups::Group<test::KvStore>> members;
    for (auto& n : nodes) {
      members.push_back(
          n.groups().with_key(key).with_state_machine(test::KvStore{}).with_consensus_config(test::test_consensus()).join());
    }
    (void)co_await test::agreed_leader(members, 15);
    const auto lead = test::leader_index(members);
    const auto group = members[lead].id();
    const auto at = *nodes[lead].metrics_address();

    const auto before = scrape(at);
    EXPECT_GE(sample(before, group_series("mosaik_group_term", group)).value_or(0), 1.0) << before;
    EXPECT_GE(sample(before, group_series("mosaik_group_elections_total", group)).value_or(0), 1.0) << before;
    EXPECT_GE(sample(before, group_series("mosaik_group_leader_changes_total", group)).value_or(0), 1.0) << before;
    EXPECT_EQ(sample(before, group_series("mosaik_group_is_leader", group)), 1.0) << before;
    EXPECT_EQ(sample(before, group_series("mosaik_group_bonds", group)), 2.0) << before;
    EXPECT_NE(before.find("# TYPE mosaik_group_commit_latency_seconds histogram"), std::string::npos) << before;

    // Five commands from a follower (forwarded) and five from the leader.
    const auto follower = (lead + 1) % members.size();
    for (std::uint64_t i = 1; i <= 10; ++i) {
      const test::KvPut put{1, i};
      auto done = co_await test::timeout_s(10, members[i <= 5 ? follower : lead].execute(put));
      CO_ASSERT_TRUE(done.has_value());
    }
    const auto after = scrape(at);
    EXPECT_GE(sample(after, group_series("mosaik_group_commit_index", group)).value_or(0),
              sample(before, group_series("mosaik_group_commit_index", group)).value_or(0) + 10)
        << after;
    const auto count = group_series("mosaik_group_commit_latency_seconds_count", group);
    EXPECT_EQ(sample(after, count), 5.0) << after;  // the leader's own execute() calls
    const auto inf = fmt::format(R"(mosaik_group_commit_latency_seconds_bucket{{group="{}",le="+Inf"}})",
                                 group.to_short_hex());
    EXPECT_EQ(sample(after, inf), 5.0) << after;
    EXPECT_GT(sample(after, group_series("mosaik_group_commit_latency_seconds_sum", group)).value_or(0), 0.0)
        << after;
    const auto follower_view = scrape(*nodes[follower].metrics_address());
    EXPECT_EQ(sample(follower_view, count), 5.0) << follower_view;
    EXPECT_EQ(sample(follower_view, group_series("mosaik_group_is_leader", group)), 0.0) << follower_view;
    for (auto& n : nodes) co_await n.shutdown();
  });
}

TEST(Metrics, a_metrics_address_in_use_fails_the_build_with_kMetrics) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await node_with_metrics(loopback_any());
    const auto taken = *a.metrics_address();
    auto builder = builder_with_metrics(taken);
    auto built = co_await builder.build();
    CO_ASSERT_FALSE(built.has_value());
    EXPECT_EQ(built.error().kind, network::Error::Kind::kMetrics);
    EXPECT_NE(built.error().message.find(std::to_string(taken.port())), std::string::npos)
        << built.error().message;
  });
}

}  // namespace
}  // namespace mosaik
