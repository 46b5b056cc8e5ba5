// examples/orderbook: the OrderBook state machine's matching rules, driven directly (no
// network): price-time priority, partial fills, cancels, duplicate submissions, and the
// fill cursor the publishers share. Also FillDedup, what a fill consumer keeps.
#include <gtest/gtest.h>

#include "fill_dedup.hpp"
#include "order_book.hpp"

namespace orderbook {
namespace {

// apply() ignores its context; these tests still go through the real entry point.
class NoContext final : public mosaik::groups::ApplyContext {
 public:
  [[nodiscard]] mosaik::groups::Cursor committed() const override { return {}; }
  [[nodiscard]] mosaik::groups::Cursor log_position() const override { return {}; }
  [[nodiscard]] mosaik::groups::Term current_term() const override { return {}; }
};

struct Book {
  OrderBook machine;
  void submit(Order order) { machine.apply(BookCommand::submit(std::move(order)), NoContext{}); }
  void published(std::uint64_t seq) { machine.apply(BookCommand::fills_published(seq), NoContext{}); }
  BookView depth() const { return machine.query(BookQuery::depth(0)); }
  std::vector<Fill> fills() const { return machine.query(BookQuery::unpublished_fills()).fills; }
};

Fill fill(std::uint64_t seq, OrderRef bid, OrderRef ask, Price price, Quantity quantity) {
  return Fill{seq, std::move(bid), std::move(ask), price, quantity};
}

TEST(OrderBook, an_order_that_does_not_cross_rests_and_sets_best_bid_and_ask) {
  Book book;
  book.submit(Order::place("a", 1, Side::kAsk, 101, 5));
  book.submit(Order::place("b", 1, Side::kBid, 99, 3));
  book.submit(Order::place("b", 2, Side::kBid, 100, 4));
  const auto top = book.machine.query(BookQuery::best_bid_ask());
  EXPECT_EQ(top.bids, (std::vector<Level>{{100, 4, 1}}));
  EXPECT_EQ(top.asks, (std::vector<Level>{{101, 5, 1}}));
  EXPECT_TRUE(book.fills().empty());
  EXPECT_EQ(book.depth().bids, (std::vector<Level>{{100, 4, 1}, {99, 3, 1}}));  // best first
}

TEST(OrderBook, a_larger_taker_fills_the_maker_and_rests_the_rest_at_its_own_price) {
  Book book;
  book.submit(Order::place("a", 1, Side::kAsk, 100, 10));
  book.submit(Order::place("b", 1, Side::kBid, 105, 15));
  EXPECT_EQ(book.fills(), (std::vector<Fill>{fill(1, {"b", 1}, {"a", 1}, 100, 10)}));  // at the maker's price
  EXPECT_TRUE(book.depth().asks.empty());
  EXPECT_EQ(book.depth().bids, (std::vector<Level>{{105, 5, 1}}));
}

TEST(OrderBook, a_smaller_taker_leaves_the_maker_partly_filled_in_place) {
  Book book;
  book.submit(Order::place("b", 1, Side::kBid, 100, 10));
  book.submit(Order::place("b", 2, Side::kBid, 100, 10));
  book.submit(Order::place("a", 1, Side::kAsk, 100, 4));
  EXPECT_EQ(book.fills(), (std::vector<Fill>{fill(1, {"b", 1}, {"a", 1}, 100, 4)}));
  book.submit(Order::place("a", 2, Side::kAsk, 100, 7));  // b/1 keeps its place: 6 left, then b/2
  EXPECT_EQ(book.fills()[1], fill(2, {"b", 1}, {"a", 2}, 100, 6));
  EXPECT_EQ(book.fills()[2], fill(3, {"b", 2}, {"a", 2}, 100, 1));
  EXPECT_EQ(book.depth().bids, (std::vector<Level>{{100, 9, 1}}));
}

TEST(OrderBook, the_best_price_trades_first_then_the_oldest_order_at_that_price) {
  Book book;
  book.submit(Order::place("m", 1, Side::kAsk, 102, 5));
  book.submit(Order::place("m", 2, Side::kAsk, 101, 5));  // better price, later
  book.submit(Order::place("m", 3, Side::kAsk, 101, 5));  // same price, later still
  book.submit(Order::place("t", 1, Side::kBid, 102, 12));
  EXPECT_EQ(book.fills(), (std::vector<Fill>{fill(1, {"t", 1}, {"m", 2}, 101, 5),
                                             fill(2, {"t", 1}, {"m", 3}, 101, 5),
                                             fill(3, {"t", 1}, {"m", 1}, 102, 2)}));
  EXPECT_EQ(book.depth().asks, (std::vector<Level>{{102, 3, 1}}));
}

TEST(OrderBook, a_selling_taker_trades_against_the_highest_bid_first) {
  Book book;
  book.submit(Order::place("b", 1, Side::kBid, 99, 5));
  book.submit(Order::place("b", 2, Side::kBid, 100, 5));
  book.submit(Order::place("a", 1, Side::kAsk, 99, 7));
  EXPECT_EQ(book.fills(), (std::vector<Fill>{fill(1, {"b", 2}, {"a", 1}, 100, 5),
                                             fill(2, {"b", 1}, {"a", 1}, 99, 2)}));
  EXPECT_EQ(book.depth().bids, (std::vector<Level>{{99, 3, 1}}));
}

TEST(OrderBook, a_taker_stops_at_its_limit_price) {
  Book book;
  book.submit(Order::place("a", 1, Side::kAsk, 100, 5));
  book.submit(Order::place("a", 2, Side::kAsk, 103, 5));
  book.submit(Order::place("b", 1, Side::kBid, 101, 8));
  EXPECT_EQ(book.fills(), (std::vector<Fill>{fill(1, {"b", 1}, {"a", 1}, 100, 5)}));
  EXPECT_EQ(book.depth().bids, (std::vector<Level>{{101, 3, 1}}));
  EXPECT_EQ(book.depth().asks, (std::vector<Level>{{103, 5, 1}}));
}

TEST(OrderBook, a_cancelled_order_leaves_the_book_and_never_trades) {
  Book book;
  book.submit(Order::place("a", 1, Side::kAsk, 100, 5));
  book.submit(Order::place("a", 2, Side::kAsk, 100, 5));
  book.submit(Order::cancel("a", 1));
  EXPECT_EQ(book.depth().asks, (std::vector<Level>{{100, 5, 1}}));
  book.submit(Order::place("b", 1, Side::kBid, 100, 10));
  EXPECT_EQ(book.fills(), (std::vector<Fill>{fill(1, {"b", 1}, {"a", 2}, 100, 5)}));
  book.submit(Order::cancel("b", 1));  // the rest of a partly filled order
  EXPECT_TRUE(book.depth().bids.empty());
  EXPECT_TRUE(book.depth().asks.empty());
}

TEST(OrderBook, cancelling_an_unknown_or_filled_order_changes_nothing) {
  Book book;
  book.submit(Order::place("a", 1, Side::kAsk, 100, 5));
  book.submit(Order::place("b", 1, Side::kBid, 100, 5));
  const auto before = book.depth();
  book.submit(Order::cancel("a", 1));  // filled
  book.submit(Order::cancel("z", 9));  // never placed
  EXPECT_EQ(book.depth(), before);
}

TEST(OrderBook, the_same_order_submitted_by_three_engines_counts_once) {
  Book book;
  for (int engine = 0; engine < 3; ++engine) book.submit(Order::place("a", 1, Side::kAsk, 100, 5));
  EXPECT_EQ(book.depth().asks, (std::vector<Level>{{100, 5, 1}}));
  EXPECT_EQ(book.depth().orders_accepted, 1u);
  // Nor does a copy that commits after the order was cancelled bring it back.
  book.submit(Order::cancel("a", 1));
  book.submit(Order::place("a", 1, Side::kAsk, 100, 5));
  EXPECT_TRUE(book.depth().asks.empty());
}

TEST(OrderBook, orders_of_two_traders_with_the_same_id_are_distinct) {
  Book book;
  book.submit(Order::place("a", 1, Side::kAsk, 100, 5));
  book.submit(Order::place("b", 1, Side::kAsk, 100, 5));
  EXPECT_EQ(book.depth().asks, (std::vector<Level>{{100, 10, 2}}));
}

TEST(OrderBook, fills_marked_published_are_no_longer_pending_and_the_cursor_only_moves_forward) {
  Book book;
  book.submit(Order::place("a", 1, Side::kAsk, 100, 1));
  book.submit(Order::place("a", 2, Side::kAsk, 100, 1));
  book.submit(Order::place("a", 3, Side::kAsk, 100, 1));
  book.submit(Order::place("b", 1, Side::kBid, 100, 3));
  ASSERT_EQ(book.fills().size(), 3u);
  book.published(2);
  EXPECT_EQ(book.fills(), (std::vector<Fill>{fill(3, {"b", 1}, {"a", 3}, 100, 1)}));
  book.published(1);  // a late cursor from a former leader
  EXPECT_EQ(book.fills().size(), 1u);
  book.published(99);  // beyond the last fill: capped
  EXPECT_TRUE(book.fills().empty());
  EXPECT_EQ(book.depth().fills_published, 3u);
  EXPECT_EQ(book.depth().fills_total, 3u);
}

TEST(OrderBook, an_order_without_quantity_or_price_is_ignored) {
  Book book;
  book.submit(Order::place("a", 1, Side::kAsk, 100, 0));
  book.submit(Order::place("a", 2, Side::kAsk, 0, 5));
  EXPECT_TRUE(book.depth().asks.empty());
  EXPECT_EQ(book.depth().orders_accepted, 0u);
}

TEST(OrderBook, commands_survive_the_wire_unchanged) {
  const auto command = BookCommand::submit(Order::place("alice", 7, Side::kAsk, 300000, 10));
  auto decoded = mosaik::wire::decode<BookCommand>(mosaik::wire::encode(command));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->order.ref, (OrderRef{"alice", 7}));
  EXPECT_EQ(decoded->order.side, Side::kAsk);
  EXPECT_EQ(decoded->order.price, 300000u);
}

TEST(FillDedup, each_seq_is_new_once_in_any_order) {
  FillDedup seen;
  EXPECT_TRUE(seen.first_time(1));
  EXPECT_FALSE(seen.first_time(1));
  EXPECT_TRUE(seen.first_time(3));  // 2 comes later, from another leader
  EXPECT_TRUE(seen.first_time(2));
  EXPECT_FALSE(seen.first_time(3));
  EXPECT_FALSE(seen.first_time(2));
  EXPECT_TRUE(seen.first_time(4));
  EXPECT_EQ(seen.count(), 4u);
}

}  // namespace
}  // namespace orderbook
