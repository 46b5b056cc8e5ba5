// examples/bootstrap, the seed's Bootstrap tutorial, run as its users run it: its id comes
// from --secret (or MOSAIK_BOOTSTRAP_SECRET), two nodes that know only its address find each
// other through it, and SIGTERM makes it leave and exit 0. Loopback only.

#include <gtest/gtest.h>

#include <asio/ip/udp.hpp>
#include <asio/this_coro.hpp>

#include "mosaik/mosaik.hpp"
#include "node_fixture.hpp"
#include "support/child_process.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace {

using test::ChildProcess;

constexpr const char* kNetName = "bootstrap-example-test";

std::uint16_t free_udp_port(asio::any_io_executor ex) {
  asio::ip::udp::socket probe(ex, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return probe.local_endpoint().port();
}

TEST(BootstrapExample, two_nodes_that_know_only_the_bootstrap_find_each_other) {
  block_on([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    const auto port = free_udp_port(ex);
    auto boot = ChildProcess::spawn(
        ex, MOSAIK_BOOTSTRAP_EXAMPLE,
        {"--network-id", kNetName, "--listen", fmt::format("127.0.0.1:{}", port), "--no-relay"},
        {{"MOSAIK_BOOTSTRAP_SECRET", "bootstrap-example-1"}});
    const auto id = SecretKey::from_seed("bootstrap-example-1").public_key();
    EXPECT_EQ(co_await boot.until_line("Public Id:", 15), "Public Id: " + id.to_string());

    const auto addr = *EndpointAddr::parse(fmt::format("{}@127.0.0.1:{}", id.to_string(), port));
    auto a = co_await test::make_node(kNetName, test::fast_discovery().with_bootstrap(addr));
    auto b = co_await test::make_node(kNetName, test::fast_discovery().with_bootstrap(addr));
    co_await test::until_knows(a, b.local().id());
    co_await test::until_knows(b, a.local().id());
    EXPECT_TRUE(a.discovery().catalog().get(id)->tags().contains(Tag("bootstrap")));

    boot.signal(SIGTERM);
    EXPECT_EQ(co_await boot.exit_code(10), 0) << boot.output();
    EXPECT_NE(boot.output().find("SIGTERM received, leaving the network"), std::string::npos);
  });
}

TEST(BootstrapExample, a_bad_peer_or_listen_address_exits_2_naming_the_flag) {
  block_on([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto peers = ChildProcess::spawn(ex, MOSAIK_BOOTSTRAP_EXAMPLE, {"--peers", "nobody"});
    EXPECT_EQ(co_await peers.exit_code(10), 2);
    EXPECT_NE(peers.output().find("--peers"), std::string::npos) << peers.output();
    auto listen = ChildProcess::spawn(ex, MOSAIK_BOOTSTRAP_EXAMPLE, {"--listen", "here"});
    EXPECT_EQ(co_await listen.exit_code(10), 2);
    EXPECT_NE(listen.output().find("--listen"), std::string::npos) << listen.output();
  });
}

}  // namespace
}  // namespace mosaik
