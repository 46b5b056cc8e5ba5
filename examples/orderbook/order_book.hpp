#pragma once
// OrderBook: the state machine the three matching engines replicate through their group.
// Price-time priority: an incoming order trades against the best opposite price first and,
// within one price, against the order that arrived first; what is left rests on the book.
//
//   auto group = node.groups().with_key(key).with_state_machine(OrderBook{}).join();
//   co_await group.execute(BookCommand::submit(Order::place("alice", 1, Side::kAsk, 300000, 10)));
//   auto top = co_await group.query(BookQuery::depth(1), Consistency::Strong);
//
// apply() runs on every engine, in the same order (Raft's guarantee), so it must be
// deterministic: ordered maps, no clocks, no randomness, no hashing of addresses.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <vector>

#include "mosaik/mosaik.hpp"
#include "orders.hpp"

namespace orderbook {

// What the group replicates. A tagged struct, since the wire format (msgpack-cxx 4.1) has no
// std::variant adaptor.
struct BookCommand {
  enum class Kind : std::uint8_t { kSubmit, kFillsPublished };
  Kind kind = Kind::kSubmit;
  Order order;                     // kSubmit: a trader's place or cancel
  std::uint64_t published_up_to = 0;  // kFillsPublished: fills up to this seq went out
  MSGPACK_DEFINE(kind, order, published_up_to);

  static BookCommand submit(Order order) { return {Kind::kSubmit, std::move(order), 0}; }
  static BookCommand fills_published(std::uint64_t seq) { return {Kind::kFillsPublished, {}, seq}; }
};

struct BookQuery {
  enum class Kind : std::uint8_t { kDepth, kUnpublishedFills };
  Kind kind = Kind::kDepth;
  std::uint32_t levels = 0;  // kDepth: price levels per side (0: all)
  MSGPACK_DEFINE(kind, levels);

  static BookQuery depth(std::uint32_t levels) { return {Kind::kDepth, levels}; }
  static BookQuery best_bid_ask() { return depth(1); }
  static BookQuery unpublished_fills() { return {Kind::kUnpublishedFills, 0}; }
};

// One price level: the quantity resting there and how many orders make it up.
struct Level {
  Price price = 0;
  Quantity quantity = 0;
  std::uint32_t orders = 0;
  MSGPACK_DEFINE(price, quantity, orders);
  friend bool operator==(const Level&, const Level&) = default;
};

// The answer to every query; a kDepth query leaves `fills` empty, a kUnpublishedFills query
// leaves the levels empty. The counters are always set.
struct BookView {
  std::vector<Level> bids;  // best (highest) first
  std::vector<Level> asks;  // best (lowest) first
  std::vector<Fill> fills;  // the fills not yet marked published, in seq order
  std::uint64_t orders_accepted = 0;  // distinct orders placed (duplicates are not counted)
  std::uint64_t fills_total = 0;      // the last fill's seq
  std::uint64_t fills_published = 0;  // the publishers' replicated cursor
  MSGPACK_DEFINE(bids, asks, fills, orders_accepted, fills_total, fills_published);
  friend bool operator==(const BookView&, const BookView&) = default;
};

class OrderBook {
 public:
  using Command = BookCommand;
  using Query = BookQuery;
  using QueryResult = BookView;

  // Part of the GroupId: engines running another version of the matching rules must not
  // join the same group.
  [[nodiscard]] mosaik::UniqueId signature() const { return mosaik::unique_id("orderbook/price-time/v1"); }
  void apply(BookCommand command, const mosaik::groups::ApplyContext& ctx);
  [[nodiscard]] BookView query(const BookQuery& query) const;

 private:
  struct Resting {
    OrderRef ref;
    Quantity remaining = 0;
  };
  // One deque per price, oldest first: that order is time priority.
  using Bids = std::map<Price, std::deque<Resting>, std::greater<>>;
  using Asks = std::map<Price, std::deque<Resting>, std::less<>>;

  void place(const Order& order);
  void cancel(const OrderRef& ref);
  void mark_published(std::uint64_t seq);
  template <class Makers>
  Quantity match(const Order& taker, Makers& makers);
  template <class Levels>
  static std::vector<Level> levels_of(const Levels& side, std::uint32_t depth);

  Bids bids_;
  Asks asks_;
  std::map<OrderRef, std::pair<Side, Price>> resting_;  // where each resting order is, for cancel
  // Every order ever placed: each engine submits every order it receives, so the same
  // order commits up to three times and only its first copy counts.
  std::set<OrderRef> accepted_;
  std::deque<Fill> unpublished_;
  std::uint64_t fills_total_ = 0;
  std::uint64_t fills_published_ = 0;
};

static_assert(mosaik::groups::StateMachine<OrderBook>);

}  // namespace orderbook

MSGPACK_ADD_ENUM(orderbook::BookCommand::Kind);
MSGPACK_ADD_ENUM(orderbook::BookQuery::Kind);
