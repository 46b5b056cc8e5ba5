// mosaik: the operator's command line for a running mosaik network.
//
//   mosaik bootstrap --network my-app --secret boot-1 --listen 0.0.0.0:4001
//   mosaik peers   --network my-app --bootstrap <id>@<ip>:<port> [--json]
//   mosaik watch   --network my-app --bootstrap <id>@<ip>:<port>
//   mosaik streams | groups  (same flags)
//
// Every flag has a MOSAIK_* fallback (--help lists them). SIGINT or SIGTERM makes the node
// leave the network gracefully; a bootstrap node or a watch then exits 0.

#include <fmt/format.h>

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/this_coro.hpp>
#include <cstdio>
#include <optional>

#include "commands.hpp"
#include "mosaik/mosaik.hpp"
#include "mosaik/primitives/async/stop_signals.hpp"
#include "observer.hpp"
#include "options.hpp"

namespace mosaik_tool {
namespace {

using namespace asio::experimental::awaitable_operators;

// A command's failure as a value: Asio's `a || b` ends at the first *successful* completion.
asio::awaitable<std::optional<std::string>> failure_of(asio::awaitable<void> flow) {
  try {
    co_await std::move(flow);
  } catch (const std::exception& e) {
    co_return std::string(e.what());
  }
  co_return std::nullopt;
}

asio::awaitable<void> command(mosaik::Network node, const Options& opt) {
  switch (opt.command) {
    case Command::kBootstrap: return run_bootstrap(node, opt);
    case Command::kWatch: return run_watch(node, opt);
    default: return run_listing(node, opt);
  }
}

asio::awaitable<int> run(Options opt) {
  // First: from here on SIGINT and SIGTERM no longer kill the process.
  mosaik::StopSignals stop(co_await asio::this_coro::executor);
  auto node = co_await start_node(opt);
  auto outcome = co_await (failure_of(command(node, opt)) || stop.wait());
  const bool stopped = outcome.index() == 1;
  if (stopped) {
    fmt::print(stderr, "mosaik: {} received, leaving the network\n",
               std::get<1>(outcome) == SIGINT ? "SIGINT" : "SIGTERM");
  }
  co_await node.shutdown();
  if (!stopped) {
    if (const auto& failure = std::get<0>(outcome)) {
      fmt::print(stderr, "mosaik: {}\n", *failure);
      co_return 1;
    }
    co_return 0;
  }
  // Stopping is how a bootstrap node or a watch ends; a listing stopped early did not list.
  const bool runs_until_stopped =
      opt.command == Command::kBootstrap || opt.command == Command::kWatch;
  co_return runs_until_stopped ? 0 : 130;
}

}  // namespace
}  // namespace mosaik_tool

int main(int argc, char** argv) {
  auto parsed = mosaik_tool::parse_options(argc, argv);
  if (const int* exit_code = std::get_if<int>(&parsed)) return *exit_code;
  mosaik::log::init_from_env();
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, also into a pipe or file
  try {
    return mosaik::block_on(mosaik_tool::run(std::get<mosaik_tool::Options>(std::move(parsed))));
  } catch (const std::exception& e) {
    fmt::print(stderr, "mosaik: {}\n", e.what());
    return 1;
  }
}
