// NetworkBuilder::with_metrics (issue 18): the Prometheus endpoint answers over HTTP and its
// counters move with the traffic: catalog peers, connections, bytes and packets, datums and
// bytes per stream and consumer. Loopback only.

#include <gtest/gtest.h>

#include <asio/ip/tcp.hpp>

#include <optional>
#include <regex>
#include <string>

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

// 127.0.0.1, any port. Outside the coroutines: g++ 12 cannot keep a string literal in a
// co_await's full expression.
SocketAddr loopback_any() { return SocketAddr(asio::ip::make_address("127.0.0.1"), 0); }

NetworkBuilder builder_with_metrics(SocketAddr metrics) {
  auto builder = Network::builder(kNet);
  builder.with_addresses({loopback_any()})
      .with_relay_mode(RelayMode::kDisabled)
      .with_discovery(test::fast_discovery())
      .with_metrics(metrics);
  return builder;
}

asio::awaitable<Network> node_with_metrics(SocketAddr metrics) {
  auto builder = builder_with_metrics(metrics);
  auto built = co_await builder.build();
  if (!built) throw std::runtime_error("node failed to start: " + built.error().message);
  co_return std::move(*built);
}

// GET /metrics over a plain TCP socket: the response's body (blocking, bounded by a 5 s
// socket timeout).
std::string scrape(const SocketAddr& at) {
  asio::ip::tcp::iostream http;
  http.expires_after(std::chrono::seconds(5));
  http.connect(at.address().to_string(), std::to_string(at.port()));
  http << "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n" << std::flush;
  std::string response((std::istreambuf_iterator<char>(http)), std::istreambuf_iterator<char>());
  const auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? response : response.substr(body + 4);
}

// The value of the sample whose line starts with `series` followed by a space.
std::optional<double> sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

std::string busy_failures() { return R"(mosaik_transport_handshake_failures_total{reason="busy"})"; }

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
    EXPECT_TRUE(sample(before, busy_failures()));

    auto b = co_await test::make_node(kNet, test::fast_discovery().with_bootstrap(a.local().addr()));
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
    co_await b.shutdown();
    co_await a.shutdown();
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
