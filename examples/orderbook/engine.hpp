#pragma once
// A matching engine: one member of the orderbook group. It consumes the traders' orders,
// submits each to the group, and, while it leads, streams the fills out.
//
//   auto engine = join_engine(node, key, "engine-0");
//   co_await run_engine(engine);   // until cancelled

#include <string>

#include "mosaik/mosaik.hpp"
#include "order_book.hpp"

namespace orderbook {

struct Engine {
  std::string name;
  mosaik::groups::Group<OrderBook> book;
  mosaik::streams::Consumer<Order> orders;
  mosaik::streams::Producer<Fill> fills;
};

// The group's consensus settings: every engine must use the same (they are part of the
// GroupId). Three engines are expected before the first election, so that three processes
// started one after another form one group rather than three of one.
mosaik::groups::ConsensusConfig engine_consensus();

// Joins the orderbook group on `node`, subscribes to orders and offers fills.
Engine join_engine(const mosaik::Network& node, const mosaik::groups::GroupKey& key, std::string name);

// Runs the engine until cancelled (or its streams close): submit_orders and publish_fills.
asio::awaitable<void> run_engine(Engine engine);

// Submits every order this engine receives. Every engine does so: an order reaches the
// book even if an engine fails, and the book counts the first copy only.
asio::awaitable<void> submit_orders(Engine engine);

// While this engine leads, streams the fills the book has not yet marked published, then
// marks them (a replicated command). See engine.cpp for why that is at-least-once.
asio::awaitable<void> publish_fills(Engine engine);

}  // namespace orderbook
