#pragma once
// The fill reporter: consumes the fills the leading engine streams, drops repeats, prints
// each fill once.

#include <cstdint>

#include "mosaik/mosaik.hpp"
#include "orders.hpp"

namespace orderbook {

// Prints fills until `count` distinct ones were seen (0: until the stream closes); how many.
asio::awaitable<std::uint64_t> report_fills(mosaik::streams::Consumer<Fill> fills, std::uint64_t count);

}  // namespace orderbook
