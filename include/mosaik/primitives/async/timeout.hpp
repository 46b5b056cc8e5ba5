#pragma once
// with_timeout: bounds any awaitable in time. The operation is cancelled (through Asio's
// per-operation cancellation) when the deadline passes first.
//
//   auto r = co_await with_timeout(sock_read(), 2s);   // expected<T, TimedOut>

#include <asio/awaitable.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <expected>
#include <system_error>
#include <type_traits>
#include <variant>

namespace mosaik {

struct TimedOut {
  std::chrono::steady_clock::duration after;
  bool operator==(const TimedOut&) const = default;
};

template <class T>
asio::awaitable<std::expected<T, TimedOut>> with_timeout(asio::awaitable<T> op,
                                                         std::chrono::steady_clock::duration limit) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(limit);
  // The timer's wait reports its error rather than throwing it: when `op` finishes first the
  // wait is cancelled, and a throw per bounded operation costs more than the operation.
  auto result = co_await (std::move(op) || timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable)));
  if (result.index() == 1) {
    // The wait ended first: the deadline passed, or this whole wait was cancelled.
    if (const auto [ec] = std::get<1>(result); ec) throw std::system_error(ec);
    co_return std::unexpected(TimedOut{limit});
  }
  if constexpr (std::is_void_v<T>) {
    co_return std::expected<void, TimedOut>{};
  } else {
    co_return std::move(std::get<0>(result));
  }
}

// Waits for `limit` on the current executor (for pacing, never for synchronisation).
inline asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration limit) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(limit);
  co_await timer.async_wait(asio::use_awaitable);
}

}  // namespace mosaik
