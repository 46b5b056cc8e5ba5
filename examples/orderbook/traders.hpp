#pragma once
// The demo's two traders and their scripted orders. Alice sells, Bob buys; run in that order
// (Alice's orders on the book first), the matching result is fixed:
//
//   fill #1: bob/2 bought 10 from alice/1 at 3000.00
//   fill #2: bob/3 bought 4 from alice/2 at 3010.00
//   book: bids 3005.00 x 5, 2990.00 x 8; asks 3010.00 x 1   (alice/3 was cancelled)

#include <string_view>
#include <vector>

#include "mosaik/mosaik.hpp"
#include "orders.hpp"

namespace orderbook {

std::vector<Order> script_of(std::string_view trader);  // "alice" or "bob"

// Sends `orders` in order, each once an engine is subscribed (send() waits until then).
asio::awaitable<void> send_orders(mosaik::streams::Producer<Order> producer, std::vector<Order> orders);

}  // namespace orderbook
