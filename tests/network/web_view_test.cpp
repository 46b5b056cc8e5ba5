// The live web view (issue 18): a real headless browser (Debian's chromium) loads the page a
// node with with_metrics serves, runs its script against /state.json, and the graph it draws
// holds every node of a 5-node network; once one node leaves, it is gone from the graph. The
// leader of a group is marked in the graph and named in the groups table.

#include <gtest/gtest.h>

#include <asio/this_coro.hpp>

#include <regex>

#include "group_fixture.hpp"
#include "kv_machine.hpp"
#include "mosaik/mosaik.hpp"
#include "node_fixture.hpp"
#include "support/child_process.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace {

const NetworkId kNet = "web-view-test";

SocketAddr loopback_any() { return SocketAddr(asio::ip::make_address("127.0.0.1"), 0); }

NetworkBuilder builder_with_metrics() {
  auto builder = Network::builder(kNet);
  builder.with_addresses({loopback_any()})
      .with_relay_mode(RelayMode::kDisabled)
      .with_discovery(test::fast_discovery())
      .with_metrics(loopback_any());
  return builder;
}

// The page as the browser leaves it after its script ran for a few (virtual) seconds.
std::vector<std::string> browser_args(const SocketAddr& at) {
  return {"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
          "--no-first-run", "--virtual-time-budget=5000", "--dump-dom",
          fmt::format("http://{}:{}/", at.address().to_string(), at.port())};
}

asio::awaitable<std::string> rendered_page(SocketAddr at) {
  auto browser = test::ChildProcess::spawn(co_await asio::this_coro::executor, MOSAIK_CHROMIUM,
                                           browser_args(at));
  const int code = co_await browser.exit_code(90);
  EXPECT_EQ(code, 0) << browser.output();
  co_return browser.output();
}

std::string node_mark(const Network& n) {
  return fmt::format("data-id=\"{}\"", n.local().id().to_string());
}

TEST(WebView, the_graph_shows_every_node_of_a_5_node_network_and_a_departure_disappears) {
  block_on([]() -> asio::awaitable<void> {
    auto builder = builder_with_metrics();
    auto built = co_await builder.build();
    CO_ASSERT_TRUE(built.has_value());
    Network a = std::move(*built);
    std::vector<Network> others;
    for (int i = 0; i < 4; ++i) {
      others.push_back(
          co_await test::make_node(kNet, test::fast_discovery().with_bootstrap(a.local().addr())));
    }
    co_await test::until_catalog(a, [](const discovery::Catalog& c) { return c.size() == 4; });
    const auto at = *a.metrics_address();

    const auto page = co_await rendered_page(at);
    EXPECT_NE(page.find("<svg id=\"graph\""), std::string::npos) << page;
    EXPECT_NE(page.find(node_mark(a)), std::string::npos) << page;
    for (const auto& n : others) EXPECT_NE(page.find(node_mark(n)), std::string::npos) << page;

    const auto gone = others.back().local().id();
    co_await others.back().shutdown();
    co_await test::until_catalog(a, [gone](const discovery::Catalog& c) { return !c.contains(gone); });
    const auto after = co_await rendered_page(at);
    EXPECT_EQ(after.find(node_mark(others.back())), std::string::npos) << after;
    for (std::size_t i = 0; i + 1 < others.size(); ++i) {
      EXPECT_NE(after.find(node_mark(others[i])), std::string::npos) << after;
    }
  });
}

// The node's mark in the graph with its classes: `class="node[ self][ leader]" data-id="<id>"`.
std::regex node_classes(const PeerId& id, bool leader) {
  return std::regex(fmt::format(R"(class="node( self)?{}" data-id="{}")", leader ? " leader" : "", id.to_string()));
}

TEST(WebView, the_leader_of_a_group_is_marked_in_the_graph_and_named_in_the_groups_table) {
  block_on([]() -> asio::awaitable<void> {
    auto builder = builder_with_metrics();
    auto built = co_await builder.build();
    CO_ASSERT_TRUE(built.has_value());
    std::vector<Network> nodes;
    nodes.push_back(std::move(*built));
    for (int i = 0; i < 2; ++i) {
      nodes.push_back(co_await test::make_node(kNet, test::fast_discovery().with_bootstrap(nodes[0].local().addr())));
    }
    co_await test::until_catalog(nodes[0], [](const discovery::Catalog& c) { return c.size() == 2; });
    const auto key = groups::GroupKey::generate();
    std::vector<groups::Group<test::KvStore>> members;
    for (auto& n : nodes) {
      members.push_back(
          n.groups().with_key(key).with_state_machine(test::KvStore{}).with_consensus_config(test::test_consensus()).join());
    }
    const auto leader = co_await test::agreed_leader(members, 15);
    const auto group = members.front().id();
    // At least one other member reports the leader in nodes[0]'s catalog.
    co_await test::until_catalog(nodes[0], [&](const discovery::Catalog& c) {
      const auto groups = discovery::summarize_groups(c);
      return groups.contains(group) && groups.at(group).leader == leader;
    });

    const auto page = co_await rendered_page(*nodes[0].metrics_address());
    for (const auto& n : nodes) {
      const auto id = n.local().id();
      EXPECT_TRUE(std::regex_search(page, node_classes(id, id == leader))) << id.to_string() << " in\n" << page;
    }
    const auto row = page.find(fmt::format(R"(<tr data-group="{}">)", group.to_hex()));
    CO_ASSERT_TRUE(row != std::string::npos);
    const auto row_text = page.substr(row, page.find("</tr>", row) - row);
    EXPECT_NE(row_text.find(fmt::format("<td>{}</td>", leader.to_string().substr(0, 10))), std::string::npos)
        << row_text;
    for (auto& n : nodes) co_await n.shutdown();
  });
}

}  // namespace
}  // namespace mosaik
