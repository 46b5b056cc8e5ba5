#pragma once
// StopSignals: SIGINT and SIGTERM as an awaitable, for programs that must leave the network
// gracefully instead of dying by the signal. Create it first thing (from then on the
// signals no longer kill the process), race the program's work against wait(), then shut
// the node down and return normally.
//
//   mosaik::StopSignals stop(co_await asio::this_coro::executor);
//   auto first = co_await (work() || stop.wait());   // index 1: a signal arrived
//   co_await network.shutdown();

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/signal_set.hpp>
#include <asio/use_awaitable.hpp>
#include <csignal>

namespace mosaik {

class StopSignals {
 public:
  explicit StopSignals(asio::any_io_executor executor) : signals_(executor, SIGINT, SIGTERM) {}

  // Completes with the number of the first SIGINT or SIGTERM that arrives.
  asio::awaitable<int> wait() { co_return co_await signals_.async_wait(asio::use_awaitable); }

 private:
  asio::signal_set signals_;
};

}  // namespace mosaik
