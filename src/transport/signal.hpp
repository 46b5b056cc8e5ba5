// A wake-up for coroutines on one executor: wait() suspends until notify() (or until the
// awaiting operation is cancelled, which it reports). Single-threaded by design: every user
// runs on the endpoint's executor, so no lock is needed.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

namespace mosaik::transport::detail {

class Signal {
 public:
  explicit Signal(const asio::any_io_executor& executor) : timer_(executor) {
    timer_.expires_at(asio::steady_timer::time_point::max());
  }
  // Wakes every current waiter (a timer that never expires, cancelled on purpose).
  void notify() { timer_.cancel(); }

  // True when woken by notify(); false when the awaiting operation was cancelled.
  asio::awaitable<bool> wait() {
    std::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    auto state = co_await asio::this_coro::cancellation_state;
    co_return state.cancelled() == asio::cancellation_type::none;
  }

 private:
  asio::steady_timer timer_;
};

}  // namespace mosaik::transport::detail
