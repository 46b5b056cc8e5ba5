// examples/orderbook run as its users run it: the one command (`orderbook`, the demo) must
// print the fills its scripted orders lead to, the book they leave, and that the three
// engines' strong reads agree on that book; then exit 0. Loopback only.

#include <gtest/gtest.h>

#include <asio/this_coro.hpp>
#include <iostream>
#include <set>

#include "mosaik/primitives/async/block_on.hpp"
#include "support/child_process.hpp"

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

}  // namespace
}  // namespace mosaik
