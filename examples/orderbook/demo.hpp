#pragma once
// --role demo: every role as its own node in this one process, on loopback: three engines,
// the traders Alice and Bob, and a fill reporter. Their scripted orders (traders.hpp) give a
// known result, which the demo prints, then checks that all three engines read the same book.

#include <vector>

#include "mosaik/mosaik.hpp"
#include "options.hpp"

namespace orderbook {

// Starts its nodes into `nodes` (the caller shuts them down, also after a failure).
asio::awaitable<void> run_demo(Options opt, std::vector<mosaik::Network>& nodes);

}  // namespace orderbook
