#include "traders.hpp"

#include <stdexcept>

namespace orderbook {

std::vector<Order> script_of(std::string_view trader) {
  if (trader == "alice") {
    return {
        Order::place("alice", 1, Side::kAsk, 300000, 10),
        Order::place("alice", 2, Side::kAsk, 301000, 5),
        Order::place("alice", 3, Side::kAsk, 302000, 7),
        Order::cancel("alice", 3),
    };
  }
  if (trader == "bob") {
    return {
        Order::place("bob", 1, Side::kBid, 299000, 8),   // below every ask: rests
        Order::place("bob", 2, Side::kBid, 300500, 15),  // takes alice/1's 10 at 3000.00, 5 rest
        Order::place("bob", 3, Side::kBid, 301000, 4),   // takes 4 of alice/2's 5 at 3010.00
    };
  }
  throw std::invalid_argument("no script for trader " + std::string(trader));
}

asio::awaitable<void> send_orders(mosaik::streams::Producer<Order> producer, std::vector<Order> orders) {
  for (auto& order : orders) {
    fmt::print("{}: sends {}\n", order.ref.trader, order);
    auto sent = co_await producer.send(order);
    if (!sent) throw std::runtime_error(fmt::format("{}: the order stream closed", order.ref.trader));
  }
}

}  // namespace orderbook
