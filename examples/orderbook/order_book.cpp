#include "order_book.hpp"

#include <algorithm>

namespace orderbook {

void OrderBook::apply(BookCommand command, const mosaik::groups::ApplyContext& /*ctx*/) {
  switch (command.kind) {
    case BookCommand::Kind::kSubmit:
      if (command.order.kind == Order::Kind::kPlace) {
        place(command.order);
      } else {
        cancel(command.order.ref);
      }
      return;
    case BookCommand::Kind::kFillsPublished:
      mark_published(command.published_up_to);
      return;
  }
}

void OrderBook::place(const Order& order) {
  if (order.quantity == 0 || order.price == 0) return;  // nothing to trade: ignored alike everywhere
  if (!accepted_.insert(order.ref).second) return;      // a copy submitted by another engine
  const Quantity left = order.side == Side::kBid ? match(order, asks_) : match(order, bids_);
  if (left == 0) return;
  Resting rest{order.ref, left};
  if (order.side == Side::kBid) {
    bids_[order.price].push_back(std::move(rest));
  } else {
    asks_[order.price].push_back(std::move(rest));
  }
  resting_[order.ref] = {order.side, order.price};
}

// Trades `taker` against the best opposite levels while the prices cross; the quantity left.
template <class Makers>
Quantity OrderBook::match(const Order& taker, Makers& makers) {
  Quantity left = taker.quantity;
  while (left > 0 && !makers.empty()) {
    auto level = makers.begin();  // the best price: the maps are ordered best first
    const Price price = level->first;
    const bool crosses = taker.side == Side::kBid ? price <= taker.price : price >= taker.price;
    if (!crosses) break;
    auto& queue = level->second;
    while (left > 0 && !queue.empty()) {
      Resting& maker = queue.front();  // the oldest order at this price
      const Quantity traded = std::min(left, maker.remaining);
      Fill fill{++fills_total_, {}, {}, price, traded};
      fill.bid = taker.side == Side::kBid ? taker.ref : maker.ref;
      fill.ask = taker.side == Side::kAsk ? taker.ref : maker.ref;
      unpublished_.push_back(std::move(fill));
      left -= traded;
      maker.remaining -= traded;
      if (maker.remaining == 0) {
        resting_.erase(maker.ref);
        queue.pop_front();
      }
    }
    if (queue.empty()) makers.erase(level);
  }
  return left;
}

void OrderBook::cancel(const OrderRef& ref) {
  auto where = resting_.find(ref);
  if (where == resting_.end()) return;  // filled, cancelled already, or never placed
  const auto [side, price] = where->second;
  resting_.erase(where);
  auto drop = [&](auto& levels) {
    auto level = levels.find(price);
    auto& queue = level->second;
    queue.erase(std::find_if(queue.begin(), queue.end(), [&](const Resting& r) { return r.ref == ref; }));
    if (queue.empty()) levels.erase(level);
  };
  if (side == Side::kBid) {
    drop(bids_);
  } else {
    drop(asks_);
  }
}

// The publisher streamed fills up to `seq`: they need not be kept any longer.
void OrderBook::mark_published(std::uint64_t seq) {
  fills_published_ = std::max(fills_published_, std::min(seq, fills_total_));
  while (!unpublished_.empty() && unpublished_.front().seq <= fills_published_) unpublished_.pop_front();
}

template <class Levels>
std::vector<Level> OrderBook::levels_of(const Levels& side, std::uint32_t depth) {
  std::vector<Level> out;
  for (const auto& [price, queue] : side) {
    if (depth != 0 && out.size() == depth) break;
    Level level{price, 0, static_cast<std::uint32_t>(queue.size())};
    for (const auto& r : queue) level.quantity += r.remaining;
    out.push_back(level);
  }
  return out;
}

BookView OrderBook::query(const BookQuery& query) const {
  BookView view;
  view.orders_accepted = accepted_.size();
  view.fills_total = fills_total_;
  view.fills_published = fills_published_;
  switch (query.kind) {
    case BookQuery::Kind::kDepth:
      view.bids = levels_of(bids_, query.levels);
      view.asks = levels_of(asks_, query.levels);
      break;
    case BookQuery::Kind::kUnpublishedFills:
      view.fills.assign(unpublished_.begin(), unpublished_.end());
      break;
  }
  return view;
}

}  // namespace orderbook
