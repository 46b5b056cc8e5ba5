#include "engine.hpp"

#include <asio/experimental/awaitable_operators.hpp>
#include <chrono>

namespace orderbook {
namespace {

using namespace std::chrono_literals;
using mosaik::groups::Consistency;
using mosaik::groups::Status;

// An order is retried this often while the group has no leader (an election takes about
// one election timeout); after that this engine gives up on it and says so: the other
// engines submit the same order.
constexpr int kSubmitAttempts = 5;
constexpr auto kLeaderWait = 5s;

// Parameters by value: a coroutine must not hold references its caller may outlive.
asio::awaitable<bool> submit(Engine engine, Order order) {
  for (int attempt = 1; attempt <= kSubmitAttempts; ++attempt) {
    auto committed = co_await engine.book.execute(BookCommand::submit(order));
    if (committed) co_return true;
    if (committed.error().is_terminated()) co_return false;
    // Offline: no leader reachable right now. Wait for one, then try again.
    (void)co_await mosaik::with_timeout(engine.book.when().online(), kLeaderWait);
  }
  co_return false;
}

}  // namespace

mosaik::groups::ConsensusConfig engine_consensus() {
  return mosaik::groups::ConsensusConfig::builder()
      .with_heartbeat_interval(200ms)
      .with_heartbeat_jitter(50ms)
      .with_election_timeout(1s)
      .with_election_timeout_jitter(300ms)
      .with_bootstrap_delay(500ms)
      .with_bootstrap_expect(3)
      .build();
}

Engine join_engine(const mosaik::Network& node, const mosaik::groups::GroupKey& key, std::string name) {
  auto book = node.groups().with_key(key).with_state_machine(OrderBook{}).with_consensus_config(engine_consensus()).join();
  return Engine{std::move(name), std::move(book), node.streams().consume<Order>(), node.streams().produce<Fill>()};
}

asio::awaitable<void> run_engine(Engine engine) {
  using namespace asio::experimental::awaitable_operators;
  co_await (submit_orders(engine) && publish_fills(engine));
}

asio::awaitable<void> submit_orders(Engine engine) {
  for (;;) {  // one order at a time, for as long as the stream is open
    std::optional<Order> order = co_await engine.orders.recv();
    if (!order) co_return;  // the node is shutting down
    // Waiting for each commit before the next keeps a trader's orders in the order sent: the
    // stream delivers them in order, and an order commits before this engine submits the
    // next one (so a cancel never overtakes the order it cancels).
    const bool submitted = co_await submit(engine, *order);
    if (!submitted) fmt::print("{}: gave up submitting {}: no leader\n", engine.name, *order);
  }
}

// Who streams fills, and how often. Every engine applies every command, so every engine
// knows every fill; if all of them streamed fills, each would go out three times. Only the
// leader streams them. A leader cannot stream a fill and record that it did in one atomic
// step: it streams the fills first, then commits BookCommand::fills_published(seq), the
// replicated cursor. A leader that fails between the two leaves the cursor behind what went
// out, and the next leader streams those fills again. So fills are delivered at least once
// (exactly once while the leader stays), and consumers drop repeats by seq (FillDedup).
// Recording first and streaming after would be at-most-once: a fill could be lost.
asio::awaitable<void> publish_fills(Engine engine) {
  auto status = engine.book.status_watch();
  for (;;) {  // for as long as the node runs; each pass waits on a status change
    const Status now = co_await status.wait_until([](const Status& s) { return s.is_leader || s.terminated; });
    if (now.terminated) co_return;
    // Strong: a new leader reads the cursor its predecessors committed before it took over.
    auto pending = co_await engine.book.query(BookQuery::unpublished_fills(), Consistency::Strong);
    if (pending && !pending->result.fills.empty()) {
      for (const Fill& fill : pending->result.fills) {
        auto sent = co_await engine.fills.send(fill);  // waits while no consumer is subscribed
        if (!sent) co_return;                          // the producer closed: shutting down
      }
      const auto last = pending->result.fills.back().seq;
      fmt::print("{} (leader): streamed fills up to #{}\n", engine.name, last);
      (void)co_await engine.book.execute(BookCommand::fills_published(last));
      continue;  // on failure the next pass streams them again: consumers drop repeats
    }
    // Nothing to stream: wait for the next commit, or for leadership to move.
    const auto seen = pending ? pending->at_position : now.committed;
    (void)co_await status.wait_until(
        [seen](const Status& s) { return s.committed > seen || !s.is_leader || s.terminated; });
  }
}

}  // namespace orderbook
