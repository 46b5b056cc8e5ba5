// `mosaik bootstrap` on a fixed port (issue 18): three nodes that know only its address
// (its id from --secret, its port chosen up front) find each other through it; it prints
// that address alone with --print-address-only, and leaves gracefully on SIGTERM. With
// --metrics it serves Prometheus metrics and the live view.

#include <gtest/gtest.h>

#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/this_coro.hpp>

#include "mosaik/mosaik.hpp"
#include "node_fixture.hpp"
#include "support/child_process.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace mosaik_bootstrap_test {
namespace {

using test::ChildProcess;

constexpr const char* kNetName = "mosaik-bootstrap-test";

// A UDP port on 127.0.0.1 that was free a moment ago.
std::uint16_t free_udp_port(asio::any_io_executor ex) {
  asio::ip::udp::socket probe(ex, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return probe.local_endpoint().port();
}
std::uint16_t free_tcp_port(asio::any_io_executor ex) {
  asio::ip::tcp::acceptor probe(ex, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return probe.local_endpoint().port();
}

// GET `path` over plain TCP: the whole response (blocking, bounded by a 5 s socket timeout).
std::string http_get(std::uint16_t port, const std::string& path) {
  asio::ip::tcp::iostream http;
  http.expires_after(std::chrono::seconds(5));
  http.connect("127.0.0.1", std::to_string(port));
  http << "GET " << path << " HTTP/1.0\r\nHost: localhost\r\n\r\n" << std::flush;
  return std::string((std::istreambuf_iterator<char>(http)), std::istreambuf_iterator<char>());
}

TEST(MosaikBootstrap, three_nodes_that_know_only_the_bootstrap_find_each_other) {
  block_on([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    const auto port = free_udp_port(ex);
    const auto id = SecretKey::from_seed("bootstrap-test-1").public_key();
    const auto expected = fmt::format("{}@127.0.0.1:{}", id.to_string(), port);
    auto boot = ChildProcess::spawn(
        ex, MOSAIK_TOOL,
        {"bootstrap", "--network", kNetName, "--secret", "bootstrap-test-1", "--listen",
         fmt::format("127.0.0.1:{}", port), "--no-dht", "--print-address-only"},
        {{"MOSAIK_LOG", "off"}});  // stderr joins stdout here: no log lines among them
    const auto printed = co_await boot.until_line("@", 15);
    EXPECT_EQ(printed, expected);

    const auto addr = *EndpointAddr::parse(expected);  // what the nodes are told, nothing else
    std::vector<Network> nodes;
    for (int i = 0; i < 3; ++i) {
      nodes.push_back(co_await test::make_node(kNetName, test::fast_discovery().with_bootstrap(addr)));
    }
    for (const auto& n : nodes) {  // each knows the bootstrap and the two others
      co_await test::until_catalog(n, [](const discovery::Catalog& c) { return c.size() == 3; });
      for (const auto& other : nodes) {
        if (&other != &n) {
          EXPECT_TRUE(n.discovery().catalog().contains(other.local().id()));
        }
      }
      const auto* entry = n.discovery().catalog().get(id);
      CO_ASSERT_TRUE(entry != nullptr);
      EXPECT_TRUE(entry->tags().contains(Tag("bootstrap")));
    }

    boot.signal(SIGTERM);
    EXPECT_EQ(co_await boot.exit_code(10), 0) << boot.output();
    EXPECT_EQ(boot.output().rfind(expected + "\n", 0), 0u) << boot.output();  // its first line
    for (auto& n : nodes) co_await n.shutdown();
  });
}

// A node bound to 0.0.0.0 answers a node bound to 127.0.0.1 from another of its addresses:
// with ngtcp2 0.12's path MTU discovery running, that one packet aborted the loopback node
// (`Assertion '!conn->pmtud' failed`; 3 of 4 runs of `mosaik bootstrap` + `mosaik peers`).
TEST(MosaikBootstrap, nodes_on_the_wildcard_address_cannot_abort_a_node_bound_to_loopback) {
  block_on([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    const auto port = free_udp_port(ex);
    auto boot = ChildProcess::spawn(ex, MOSAIK_TOOL,
                                    {"bootstrap", "--network", kNetName, "--listen", fmt::format("127.0.0.1:{}", port),
                                     "--no-dht", "--print-address-only"},
                                    {{"MOSAIK_LOG", "off"}});
    const auto addr = *EndpointAddr::parse(co_await boot.until_line("@", 15));
    for (int round = 0; round < 5; ++round) {
      auto builder = Network::builder(kNetName);  // the default bind: 0.0.0.0
      builder.with_relay_mode(RelayMode::kDisabled).with_discovery(test::fast_discovery().with_bootstrap(addr));
      auto built = co_await builder.build();
      CO_ASSERT_TRUE(built.has_value());
      // The path only exists where the machine has an address besides loopback, which the
      // wildcard node then advertises: without one this test cannot run (and says so).
      const auto& advertised = built->local().addr().direct_addresses;
      CO_ASSERT_TRUE(std::any_of(advertised.begin(), advertised.end(),
                                 [](const SocketAddr& a) { return !a.address().is_loopback(); }));
      co_await test::until_knows(*built, addr.id);
      co_await built->shutdown();
    }
    boot.signal(SIGTERM);
    EXPECT_EQ(co_await boot.exit_code(10), 0) << boot.output();
  });
}

TEST(MosaikBootstrap, with_metrics_it_serves_prometheus_and_the_live_view) {
  block_on([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    const auto port = free_tcp_port(ex);
    auto boot = ChildProcess::spawn(
        ex, MOSAIK_TOOL,
        {"bootstrap", "--network", kNetName, "--listen", "127.0.0.1:0", "--no-dht", "--metrics",
         fmt::format("127.0.0.1:{}", port)},
        {{"MOSAIK_LOG", "warn"}});
    const auto line = co_await boot.until_line("address: ", 15);
    (void)co_await boot.until_line(fmt::format("metrics: http://127.0.0.1:{}/metrics", port), 5);
    const auto addr = *EndpointAddr::parse(line.substr(line.find(' ') + 1));
    auto node = co_await test::make_node(kNetName, test::fast_discovery().with_bootstrap(addr));
    co_await test::until_knows(node, addr.id);
    const auto metrics = http_get(port, "/metrics");
    EXPECT_NE(metrics.find("\nmosaik_discovery_peers 1\n"), std::string::npos) << metrics;
    EXPECT_NE(http_get(port, "/").find("<svg id=\"graph\""), std::string::npos);
    EXPECT_NE(http_get(port, "/state.json").find(node.local().id().to_string()), std::string::npos);
    boot.signal(SIGTERM);
    EXPECT_EQ(co_await boot.exit_code(10), 0) << boot.output();
    co_await node.shutdown();
  });
}

TEST(MosaikBootstrap, a_metrics_port_in_use_is_named_and_exits_1) {
  block_on([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asio::ip::tcp::acceptor taken(ex, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const auto port = taken.local_endpoint().port();
    auto boot = ChildProcess::spawn(ex, MOSAIK_TOOL,
                                    {"bootstrap", "--network", kNetName, "--listen", "127.0.0.1:0",
                                     "--no-dht", "--metrics", fmt::format("127.0.0.1:{}", port)});
    EXPECT_EQ(co_await boot.exit_code(10), 1) << boot.output();
    EXPECT_NE(boot.output().find("--metrics"), std::string::npos) << boot.output();
  });
}

}  // namespace
}  // namespace mosaik_bootstrap_test
}  // namespace mosaik
