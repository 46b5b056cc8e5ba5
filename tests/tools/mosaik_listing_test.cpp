// `mosaik peers` and `mosaik watch` against nodes on loopback (issue 18): the listing names
// every node of a 5-node network; watch prints a join and a departure within 2 s each.

#include <gtest/gtest.h>

#include <asio/this_coro.hpp>

#include "mosaik/mosaik.hpp"
#include "node_fixture.hpp"
#include "support/child_process.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace mosaik_listing_test {
namespace {

using test::ChildProcess;

constexpr const char* kNetName = "mosaik-tool-test";

// The flags that keep the tool's node on loopback, off the DHT, joined through `peer`.
std::vector<std::string> observer_args(std::string command, const EndpointAddr& peer) {
  return {std::move(command), "--network", kNetName, "--bootstrap", peer.to_string(),
          "--listen", "127.0.0.1:0", "--no-dht", "--timeout", "10"};
}

// The tool's logs (stderr, merged into what the test reads) at warn: only what it prints.
std::vector<std::pair<std::string, std::string>> quiet() { return {{"MOSAIK_LOG", "warn"}}; }

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(MosaikListing, peers_json_lists_all_five_nodes_of_a_network) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await test::make_converged_nodes(kNetName, 5, test::fast_discovery);
    auto args = observer_args("peers", nodes[2].local().addr());
    args.insert(args.end(), {"--json", "--settle-ms", "0"});
    auto child = ChildProcess::spawn(co_await asio::this_coro::executor, MOSAIK_TOOL, args, quiet());
    CO_ASSERT_TRUE(co_await child.exit_code(20) == 0);
    const auto out = child.output();
    const auto json = out.substr(out.find("{\"observer\":"));
    EXPECT_EQ(count_of(json, "{\"id\":"), 5u) << out;
    for (const auto& n : nodes) {
      EXPECT_NE(json.find("\"id\":\"" + n.local().id().to_string() + "\""), std::string::npos)
          << n.local().id().to_string() << " missing from:\n" << out;
      const auto addr = *n.local().addr().direct_addresses.begin();  // a copy: addr() is a value
      EXPECT_NE(json.find(to_string(addr)), std::string::npos) << out;
    }
  });
}

TEST(MosaikListing, peers_table_and_groups_say_what_they_show) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::make_node(kNetName);
    auto ex = co_await asio::this_coro::executor;
    auto peers = ChildProcess::spawn(ex, MOSAIK_TOOL, observer_args("peers", a.local().addr()), quiet());
    CO_ASSERT_TRUE(co_await peers.exit_code(20) == 0);
    EXPECT_NE(peers.output().find(fmt::format("{}", a.local().id())), std::string::npos)
        << peers.output();
    EXPECT_NE(peers.output().find("1 peer "), std::string::npos) << peers.output();
    auto args = observer_args("groups", a.local().addr());
    args.push_back("--json");
    auto groups = ChildProcess::spawn(ex, MOSAIK_TOOL, args, quiet());
    CO_ASSERT_TRUE(co_await groups.exit_code(20) == 0);
    EXPECT_NE(groups.output().find("{\"groups\":[]}"), std::string::npos) << groups.output();
  });
}

TEST(MosaikListing, watch_prints_a_join_and_a_departure_within_2s_each) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::make_node(kNetName);
    auto watch = ChildProcess::spawn(co_await asio::this_coro::executor, MOSAIK_TOOL,
                                     observer_args("watch", a.local().addr()), quiet());
    (void)co_await watch.until_line(fmt::format("present {}", a.local().id()), 15);
    (void)co_await watch.until_line("mosaik: watching network", 5);

    auto b = co_await test::make_node(kNetName,
                                      test::fast_discovery().with_bootstrap(a.local().addr()));
    (void)co_await watch.until_line(fmt::format("joined  {}", b.local().id()), 2);
    co_await b.shutdown();
    (void)co_await watch.until_line(fmt::format("left    {}", b.local().id()), 2);

    watch.signal(SIGTERM);
    EXPECT_EQ(co_await watch.exit_code(10), 0) << watch.output();
  });
}

}  // namespace
}  // namespace mosaik_listing_test
}  // namespace mosaik
