#include "demo.hpp"

#include <asio/experimental/awaitable_operators.hpp>

#include "engine.hpp"
#include "node.hpp"
#include "reporter.hpp"
#include "traders.hpp"

namespace orderbook {
namespace {

using mosaik::groups::Consistency;

// Reads `engine`'s book until it satisfies `pred`, reading again after each commit.
template <class Pred>
asio::awaitable<BookView> until_book(Engine engine, Consistency consistency, Pred pred) {
  for (;;) {  // bounded by the caller's timeout
    auto read = co_await engine.book.query(BookQuery::depth(0), consistency);
    if (read && pred(read->result)) co_return std::move(read->result);
    const auto at = read ? read->at_position : engine.book.committed();
    (void)co_await engine.book.when().committed().reaches(at.next());
  }
}

void print_level(std::string_view side, const Level& level) {
  fmt::print("  {} {:>8} x {:<3} ({} order{})\n", side, format_price(level.price), level.quantity, level.orders,
             level.orders == 1 ? "" : "s");
}

// Asks above bids, the best of each next to the spread.
void print_book(const BookView& view) {
  for (auto it = view.asks.rbegin(); it != view.asks.rend(); ++it) print_level("ask", *it);
  fmt::print("  ----\n");
  for (const auto& level : view.bids) print_level("bid", level);
}

std::string name_of(const std::vector<Engine>& engines, const std::vector<mosaik::Network>& nodes,
                    const mosaik::PeerId& peer) {
  for (std::size_t i = 0; i < engines.size(); ++i) {
    if (nodes[i].local().id() == peer) return engines[i].name;
  }
  return fmt::format("{}", peer);
}

// The script, once every node is up: Alice's orders, then Bob's, then the fills, then a
// strong read of the book on every engine.
asio::awaitable<void> trade(Options opt, std::vector<Engine> engines, mosaik::streams::Producer<Order> alice,
                            mosaik::streams::Producer<Order> bob, mosaik::streams::Consumer<Fill> fills) {
  co_await within(send_orders(alice, script_of("alice")), opt.timeout, "sending alice's orders");
  // Bob starts once Alice's orders are on the book: the two streams reach the engines
  // independently, and this order of events is what makes the result the one traders.hpp says.
  auto alice_on_book = [](const BookView& v) { return v.orders_accepted == 3 && v.asks.size() == 2; };
  co_await within(until_book(engines[0], Consistency::Weak, alice_on_book), opt.timeout,
                  "alice's orders reaching the book");
  fmt::print("book after alice's orders:\n");
  auto after_alice = co_await engines[0].book.query(BookQuery::depth(0), Consistency::Weak);
  if (after_alice) print_book(after_alice->result);

  co_await within(send_orders(bob, script_of("bob")), opt.timeout, "sending bob's orders");
  const auto reported = co_await within(report_fills(fills, 2), opt.timeout, "the reporter receiving 2 fills");
  if (reported != 2) throw Failure("the fill stream closed early");

  // Strong reads, linearizable: each engine answers with the book after all the commands
  // above. Read once the leader has recorded both fills as published, so that the
  // publishers have nothing left to stream.
  auto settled = [](const BookView& v) { return v.fills_total == 2 && v.fills_published == 2; };
  std::vector<BookView> views;
  for (const auto& engine : engines) {
    views.push_back(co_await within(until_book(engine, Consistency::Strong, settled), opt.timeout,
                                    engine.name + " reading both fills published"));
  }
  fmt::print("final book ({} orders, {} fills):\n", views[0].orders_accepted, views[0].fills_total);
  print_book(views[0]);
  for (std::size_t i = 1; i < views.size(); ++i) {
    const bool same = views[i].bids == views[0].bids && views[i].asks == views[0].asks &&
                      views[i].orders_accepted == views[0].orders_accepted &&
                      views[i].fills_total == views[0].fills_total;
    if (!same) throw Failure(fmt::format("{} reads another book than {}", engines[i].name, engines[0].name));
  }
  const auto& best_bid = views[0].bids.front();
  const auto& best_ask = views[0].asks.front();
  fmt::print("all three engines agree on the book: best bid {} x {}, best ask {} x {}\n",
             format_price(best_bid.price), best_bid.quantity, format_price(best_ask.price), best_ask.quantity);
}

}  // namespace

asio::awaitable<void> run_demo(Options opt, std::vector<mosaik::Network>& nodes) {
  using namespace asio::experimental::awaitable_operators;
  // Six nodes, each joining through the first: three engines, Alice, Bob, the reporter.
  nodes.push_back(co_await start_node(opt.network, opt.listen, std::nullopt));
  for (int i = 1; i < 6; ++i) nodes.push_back(co_await start_node(opt.network, opt.listen, nodes[0].local().addr()));
  const auto key = group_key_from(opt.group_secret);
  std::vector<Engine> engines;
  for (int i = 0; i < 3; ++i) engines.push_back(join_engine(nodes[i], key, fmt::format("engine-{}", i)));
  auto alice = nodes[3].streams().produce<Order>();
  auto bob = nodes[4].streams().produce<Order>();
  auto fills = nodes[5].streams().consume<Fill>();

  fmt::print("waiting for the three matching engines to elect a leader...\n");
  for (auto& engine : engines) co_await within(engine.book.when().online(), opt.timeout, engine.name + " online");
  const auto online = engines[0].book.status();
  fmt::print("matching engines online, leader: {} (term {})\n", name_of(engines, nodes, *online.leader),
             online.term.value);
  // Every engine takes both traders' orders, and the reporter hears every engine: whichever
  // engine leads, its fills reach the reporter.
  co_await within(alice.when().subscribed().minimum_of(3).wait(), opt.timeout, "engines subscribing to alice");
  co_await within(bob.when().subscribed().minimum_of(3).wait(), opt.timeout, "engines subscribing to bob");
  co_await within(fills.when().subscribed().minimum_of(3).wait(), opt.timeout, "the reporter subscribing to 3 engines");

  // The engines run until the script is done (the || cancels them then).
  auto outcome = co_await ((run_engine(engines[0]) && run_engine(engines[1]) && run_engine(engines[2])) ||
                           failure_of(trade(opt, engines, alice, bob, fills)));
  if (outcome.index() == 0) throw Failure("the engines stopped before the script was done");
  if (auto& failure = std::get<1>(outcome)) throw Failure(*failure);
  // A leader change during the demo would explain a fill the reporter got twice.
  const auto done = engines[0].book.status();
  fmt::print("leader at the end: {} (term {})\n", done.leader ? name_of(engines, nodes, *done.leader) : "none",
             done.term.value);
  fmt::print("orderbook demo complete\n");
}

}  // namespace orderbook
