#pragma once
// What flows through the orderbook example's streams: traders stream Orders to the matching
// engines, the engines stream Fills out. Both are plain msgpack types (Datum needs nothing
// else); their stream names are fixed so that every build agrees on the stream ids.

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <msgpack.hpp>

namespace orderbook {

using Price = std::uint64_t;     // in cents: 300000 is 3000.00
using Quantity = std::uint64_t;  // whole units

enum class Side : std::uint8_t { kBid, kAsk };

// Names one order: ids are chosen by their trader, so an id is unique per trader only.
struct OrderRef {
  std::string trader;
  std::uint64_t id = 0;
  MSGPACK_DEFINE(trader, id);
  friend auto operator<=>(const OrderRef&, const OrderRef&) = default;
};

// A trader's request: place a limit order, or cancel one placed before. Both travel on the
// same stream so that a trader's cancel reaches every engine after the order it cancels.
struct Order {
  enum class Kind : std::uint8_t { kPlace, kCancel };
  Kind kind = Kind::kPlace;
  OrderRef ref;
  Side side = Side::kBid;  // kPlace only, as price and quantity
  Price price = 0;
  Quantity quantity = 0;
  MSGPACK_DEFINE(kind, ref, side, price, quantity);
  static constexpr std::string_view stream_name = "orderbook/order";

  static Order place(std::string trader, std::uint64_t id, Side side, Price price, Quantity quantity) {
    return Order{Kind::kPlace, OrderRef{std::move(trader), id}, side, price, quantity};
  }
  static Order cancel(std::string trader, std::uint64_t id) {
    return Order{Kind::kCancel, OrderRef{std::move(trader), id}, Side::kBid, 0, 0};
  }
};

// A trade: `quantity` changed hands at the resting order's price. `seq` numbers fills 1, 2,
// 3 ... in matching order; every engine computes the same numbers, so a consumer can drop a
// fill it has already seen (see fill_dedup.hpp).
struct Fill {
  std::uint64_t seq = 0;
  OrderRef bid;
  OrderRef ask;
  Price price = 0;
  Quantity quantity = 0;
  MSGPACK_DEFINE(seq, bid, ask, price, quantity);
  static constexpr std::string_view stream_name = "orderbook/fill";
  friend bool operator==(const Fill&, const Fill&) = default;
};

// "3000.00"
inline std::string format_price(Price cents) { return fmt::format("{}.{:02}", cents / 100, cents % 100); }

}  // namespace orderbook

MSGPACK_ADD_ENUM(orderbook::Side);
MSGPACK_ADD_ENUM(orderbook::Order::Kind);

template <>
struct fmt::formatter<orderbook::OrderRef> : fmt::formatter<std::string_view> {
  auto format(const orderbook::OrderRef& r, fmt::format_context& ctx) const {
    return fmt::format_to(ctx.out(), "{}/{}", r.trader, r.id);
  }
};

template <>
struct fmt::formatter<orderbook::Order> : fmt::formatter<std::string_view> {
  auto format(const orderbook::Order& o, fmt::format_context& ctx) const {
    if (o.kind == orderbook::Order::Kind::kCancel) return fmt::format_to(ctx.out(), "cancel {}", o.ref);
    return fmt::format_to(ctx.out(), "{} {} {} @ {}", o.ref, o.side == orderbook::Side::kBid ? "buys" : "sells",
                          o.quantity, orderbook::format_price(o.price));
  }
};

template <>
struct fmt::formatter<orderbook::Fill> : fmt::formatter<std::string_view> {
  auto format(const orderbook::Fill& f, fmt::format_context& ctx) const {
    return fmt::format_to(ctx.out(), "fill #{}: {} bought {} from {} at {}", f.seq, f.bid, f.quantity, f.ask,
                          orderbook::format_price(f.price));
  }
};
