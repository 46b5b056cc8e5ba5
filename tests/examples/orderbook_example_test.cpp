// examples/orderbook run as its users run it: the one command (`orderbook`, the demo) must
// print the fills its scripted orders lead to, the book they leave, and that the three
// engines' strong reads agree on that book; then exit 0. Loopback only.

#include <gtest/gtest.h>

#include <asio/this_coro.hpp>
#include <csignal>
#include <iostream>
#include <set>

#include "mosaik/primitives/async/block_on.hpp"
#include "support/child_process.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace {

using test::ChildProcess;

// In order: the fills (each once: the reporter drops repeats, and says so), then the final
// book as the strong reads saw it.
std::vector<std::string> expected_lines() {
  return {
      "matching engines online, leader: engine-",
      "reporter: fill #1: bob/2 bought 10 from alice/1 at 3000.00",
      "reporter: fill #2: bob/3 bought 4 from alice/2 at 3010.00",
      "final book (6 orders, 2 fills):",
      "  ask  3010.00 x 1   (1 order)",
      "  ----",
      "  bid  3005.00 x 5   (1 order)",
      "  bid  2990.00 x 8   (1 order)",
      "all three engines agree on the book: best bid 3005.00 x 5, best ask 3010.00 x 1",
      "leader at the end: engine-",
      "orderbook demo complete",
  };
}

TEST(OrderbookExample, the_demo_streams_the_expected_fills_once_and_its_three_engines_agree_on_the_book) {
  block_on([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto demo = ChildProcess::spawn(ex, MOSAIK_ORDERBOOK_EXAMPLE,
                                    {"--network", "orderbook-example-test", "--timeout", "30"});
    EXPECT_EQ(co_await demo.exit_code(90), 0) << demo.output();
    const auto out = demo.output();
    const auto expected = expected_lines();
    std::size_t from = 0;
    for (const auto& line : expected) {
      const auto at = out.find(line, from);
      EXPECT_NE(at, std::string::npos) << "missing, or out of order: '" << line << "'\n" << out;
      if (at != std::string::npos) from = at + line.size();
    }
    EXPECT_EQ(out.find("fill #3"), std::string::npos) << out;  // no fill beyond the script's two
    // Only the leader streams fills: while one leader stays, the reporter gets each once.
    // (After a leader change, a repeat is allowed: the new leader resends what the old one
    // had not recorded as published.)
    const auto term_at = [&](const std::string& prefix) {
      const auto at = out.find(prefix);
      if (at == std::string::npos) return std::string("?");
      const auto begin = out.find("(term ", at);
      return out.substr(begin, out.find(')', begin) - begin);
    };
    const auto first_term = term_at("matching engines online, leader: ");
    const auto last_term = term_at("leader at the end: ");
    EXPECT_NE(first_term, "?") << out;
    if (first_term == last_term) {
      EXPECT_EQ(out.find(" again "), std::string::npos) << "a fill came twice under one leader:\n" << out;
      std::set<std::string> publishers;  // "engine-N" of each "engine-N (leader): streamed ..." line
      for (auto at = out.find(" (leader): streamed"); at != std::string::npos;
           at = out.find(" (leader): streamed", at + 1)) {
        const auto line_start = out.rfind('\n', at) + 1;
        publishers.insert(out.substr(line_start, at - line_start));
      }
      EXPECT_EQ(publishers.size(), 1u) << "more than one engine streamed fills under one leader:\n" << out;
    } else {
      std::cerr << "a leader change during the demo (" << first_term << " -> " << last_term
                << "): repeats allowed\n";
    }
  });
}

// The roles as separate processes, as README.md runs them, with the leading engine killed
// (SIGKILL) between the two traders: the two engines left elect a new leader, which
// matches Bob's orders and streams the fills. The engines receive Alice's orders before
// Bob's (she has left, delivering them, before he starts), so the result is the demo's.
TEST(OrderbookExample, the_roles_as_processes_give_the_demo_result_though_the_leading_engine_is_killed) {
  block_on([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    const std::string net = "orderbook-processes-test";
    auto role = [&](std::vector<std::string> args) {
      args.insert(args.end(), {"--network", net});
      return ChildProcess::spawn(ex, MOSAIK_ORDERBOOK_EXAMPLE, args);
    };
    std::vector<ChildProcess> engines;
    engines.push_back(role({"--role", "engine", "--name", "engine-0"}));
    const auto peer_line = co_await engines[0].until_line("--peer ", 15);
    const auto peer = peer_line.substr(peer_line.find("--peer ") + 7);
    std::vector<std::string> peers = {peer};  // each engine's address
    for (int i = 1; i <= 2; ++i) {
      engines.push_back(role({"--role", "engine", "--name", "engine-" + std::to_string(i), "--peer", peer}));
      const auto line = co_await engines.back().until_line("--peer ", 15);
      peers.push_back(line.substr(line.find("--peer ") + 7));
    }
    auto reporter = role({"--role", "reporter", "--fills", "2", "--peer", peer});
    for (auto& engine : engines) (void)co_await engine.until_line("leader is", 30);

    auto alice = role({"--role", "trader", "--trader", "alice", "--peer", peer});
    EXPECT_EQ(co_await alice.exit_code(30), 0) << alice.output();
    std::size_t leader = engines.size();
    for (std::size_t i = 0; i < engines.size(); ++i) {
      if (engines[i].output().find("(this engine)") != std::string::npos) leader = i;
    }
    CO_ASSERT_TRUE(leader < engines.size());
    engines[leader].signal(SIGKILL);
    EXPECT_EQ(co_await engines[leader].exit_code(10), -SIGKILL);

    const auto survivor = peers[(leader + 1) % peers.size()];
    auto bob = role({"--role", "trader", "--trader", "bob", "--peer", survivor});
    EXPECT_EQ(co_await bob.exit_code(30), 0) << bob.output();
    EXPECT_EQ(co_await reporter.exit_code(60), 0) << reporter.output();
    const auto fills = reporter.output();
    EXPECT_NE(fills.find("reporter: fill #1: bob/2 bought 10 from alice/1 at 3000.00"), std::string::npos) << fills;
    EXPECT_NE(fills.find("reporter: fill #2: bob/3 bought 4 from alice/2 at 3010.00"), std::string::npos) << fills;
    EXPECT_NE(fills.find("reporter: 2 distinct fills"), std::string::npos) << fills;
    for (std::size_t i = 0; i < engines.size(); ++i) {
      if (i == leader) continue;
      engines[i].signal(SIGTERM);
      EXPECT_EQ(co_await engines[i].exit_code(20), 0) << engines[i].output();
    }
    // A survivor took over, and it streamed the fills.
    bool new_leader_streamed = false;
    for (std::size_t i = 0; i < engines.size(); ++i) {
      if (i != leader && engines[i].output().find("(leader): streamed fills up to #2") != std::string::npos) {
        new_leader_streamed = true;
      }
    }
    EXPECT_TRUE(new_leader_streamed);
  });
}

}  // namespace
}  // namespace mosaik
