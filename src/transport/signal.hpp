// A wake-up for coroutines on one executor: wait() suspends until notify() (true) or until
// the awaiting operation is cancelled (false). Single-threaded by design: every user runs on
// the endpoint's executor, so no lock is needed. Waiters are parked in a list rather than
// on a timer, so waiting and waking never touch the kernel's timer (no syscalls per wait).
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/awaitable.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include <cstdint>
#include <functional>
#include <list>
#include <utility>

namespace mosaik::transport::detail {

class Signal {
 public:
  explicit Signal(asio::any_io_executor executor) : executor_(std::move(executor)) {}
  Signal(const Signal&) = delete;
  Signal& operator=(const Signal&) = delete;
  // Pending waiters end as cancelled: no coroutine is left suspended forever.
  ~Signal() { complete_all(false); }

  // Wakes every current waiter.
  void notify() { complete_all(true); }

  asio::awaitable<bool> wait() {
    return asio::async_initiate<decltype(asio::use_awaitable), void(bool)>(
        [this](auto handler) { park(std::move(handler)); }, asio::use_awaitable);
  }

 private:
  struct Waiter {
    std::uint64_t id;
    asio::cancellation_slot slot;
    std::move_only_function<void(bool)> complete;  // posts the handler with the result
  };

  template <class Handler>
  void park(Handler handler) {
    auto slot = asio::get_associated_cancellation_slot(handler);
    auto executor = asio::get_associated_executor(handler, executor_);
    const std::uint64_t id = next_id_++;
    auto complete = [h = std::move(handler), executor](bool woken) mutable {
      asio::post(executor, [h = std::move(h), woken]() mutable { std::move(h)(woken); });
    };
    if (slot.is_connected()) {
      slot.assign([this, id](asio::cancellation_type) { complete_one(id, false); });
    }
    waiters_.push_back(Waiter{id, slot, std::move(complete)});
  }

  void complete_one(std::uint64_t id, bool woken) {
    for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
      if (it->id != id) continue;
      Waiter w = std::move(*it);
      waiters_.erase(it);
      if (w.slot.is_connected()) w.slot.clear();
      w.complete(woken);
      return;
    }
  }

  void complete_all(bool woken) {
    auto waiting = std::move(waiters_);
    waiters_.clear();
    for (auto& w : waiting) {
      if (w.slot.is_connected()) w.slot.clear();
      w.complete(woken);
    }
  }

  asio::any_io_executor executor_;
  std::list<Waiter> waiters_;  // bounded by the coroutines awaiting this one event
  std::uint64_t next_id_ = 0;
};

}  // namespace mosaik::transport::detail
