// orderbook: the seed's "Building a Distributed Orderbook" tutorial in C++. Three matching
// engines replicate one order book (price-time priority) through a Raft group; traders
// stream orders to them; the leading engine streams the fills to a reporter.
//
//   orderbook                                       # the demo: every role in this process
//   orderbook --role engine --name engine-0         # prints its address; then, each in a terminal:
//   orderbook --role engine --name engine-1 --peer <address>      (and engine-2)
//   orderbook --role reporter --peer <address>
//   orderbook --role trader --trader alice --peer <address>       (then --trader bob)
//
// Ctrl-C or SIGTERM makes a node leave the network gracefully. README.md walks through it.

#include <fmt/format.h>

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/this_coro.hpp>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "demo.hpp"
#include "engine.hpp"
#include "mosaik/mosaik.hpp"
#include "mosaik/primitives/async/stop_signals.hpp"
#include "node.hpp"
#include "options.hpp"
#include "reporter.hpp"
#include "traders.hpp"

namespace orderbook {
namespace {

// Says which member leads, each time that changes.
asio::awaitable<void> report_leaders(Engine engine, mosaik::PeerId self) {
  for (;;) {  // for as long as the node runs
    const auto leader = co_await engine.book.when().leader_changed();
    fmt::print("{}: leader is {}{}\n", engine.name, leader, leader == self ? " (this engine)" : "");
  }
}

asio::awaitable<void> run_engine_role(Options opt, std::vector<mosaik::Network>& nodes) {
  using namespace asio::experimental::awaitable_operators;
  nodes.push_back(co_await start_node(opt.network, opt.listen, opt.peer));
  const auto& node = nodes.back();
  fmt::print("{}: node {} on network '{}'\n", opt.name, node.local().id(), opt.network);
  fmt::print("other roles join with:\n  --peer {}\n", node.local().addr());
  auto engine = join_engine(node, group_key_from(opt.group_secret), opt.name);
  co_await (run_engine(engine) && report_leaders(engine, node.local().id()));
}

// Sends the trader's script once two engines (a majority) take its orders, then leaves.
asio::awaitable<void> run_trader_role(Options opt, std::vector<mosaik::Network>& nodes) {
  nodes.push_back(co_await start_node(opt.network, opt.listen, opt.peer));
  auto orders = nodes.back().streams().produce<Order>();
  fmt::print("{}: waiting for two engines to subscribe\n", opt.trader);
  co_await within(orders.when().subscribed().minimum_of(2).wait(), opt.timeout, "two engines subscribing");
  co_await send_orders(orders, script_of(opt.trader));
  // The graceful shutdown delivers what send() queued (so would dropping the producer first,
  // within its flush deadline: decision 0601).
  co_await nodes.back().shutdown();
  fmt::print("{}: sent {} orders, left the network\n", opt.trader, script_of(opt.trader).size());
}

asio::awaitable<void> run_reporter_role(Options opt, std::vector<mosaik::Network>& nodes) {
  nodes.push_back(co_await start_node(opt.network, opt.listen, opt.peer));
  auto fills = nodes.back().streams().consume<Fill>();
  fmt::print("reporter: waiting for fills\n");
  const auto seen = co_await report_fills(fills, opt.fills);
  fmt::print("reporter: {} distinct fills\n", seen);
}

const char* signal_name(int signal) { return signal == SIGINT ? "SIGINT" : "SIGTERM"; }

asio::awaitable<int> run(Options opt) {
  using namespace asio::experimental::awaitable_operators;
  // First: from here on SIGINT and SIGTERM no longer kill the process.
  mosaik::StopSignals stop(co_await asio::this_coro::executor);
  std::vector<mosaik::Network> nodes;
  auto role = [&]() -> asio::awaitable<void> {
    if (opt.role == "engine") return run_engine_role(opt, nodes);
    if (opt.role == "trader") return run_trader_role(opt, nodes);
    if (opt.role == "reporter") return run_reporter_role(opt, nodes);
    return run_demo(opt, nodes);
  };
  auto outcome = co_await (failure_of(role()) || stop.wait());
  std::optional<std::string> failure;
  if (outcome.index() == 1) {
    fmt::print("orderbook: {} received, leaving the network\n", signal_name(std::get<1>(outcome)));
  } else {
    failure = std::get<0>(std::move(outcome));
  }
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) co_await it->shutdown();
  if (failure) {
    fmt::print(stderr, "orderbook: {}\n", *failure);
    co_return 1;
  }
  co_return 0;
}

}  // namespace
}  // namespace orderbook

int main(int argc, char** argv) {
  auto parsed = orderbook::parse_options(argc, argv);
  if (const int* exit_code = std::get_if<int>(&parsed)) return *exit_code;
  // Warnings and errors only, unless MOSAIK_LOG says otherwise: the example's own lines tell the story.
  const char* log_spec = std::getenv("MOSAIK_LOG");
  mosaik::log::configure(log_spec != nullptr ? log_spec : "warn");
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, also into a pipe or file
  try {
    return mosaik::block_on(orderbook::run(std::get<orderbook::Options>(std::move(parsed))));
  } catch (const std::exception& e) {
    fmt::print(stderr, "orderbook: {}\n", e.what());
    return 1;
  }
}
