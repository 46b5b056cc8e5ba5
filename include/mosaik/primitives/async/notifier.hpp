#pragma once
// Notifier: a thread-safe version counter that coroutines can wait on. It is the one
// wake-up mechanism behind Watch, Broadcast and the when() conditions.
//
//   auto seen = n.version();  ...  co_await n.wait_change(seen);   // elsewhere: n.notify();
//
// A waiter must run on a single-threaded executor (a node's io_context, block_on's
// context, or a strand): notify() posts the wake-up to that executor, and the ordering of
// handlers on it is what makes a concurrent notify() impossible to miss.

#include <asio/awaitable.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <system_error>
#include <vector>

namespace mosaik {

class Notifier {
 public:
  Notifier() = default;
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Lock-free: called for every datum on hot paths. notify() bumps it under the mutex
  // before waking anyone, so a version read before a check is never newer than the check.
  std::uint64_t version() const { return version_.load(std::memory_order_acquire); }

  // Bumps the version and wakes every waiter.
  void notify() {
    std::vector<std::weak_ptr<Waiter>> waiters;
    {
      std::lock_guard lock(mutex_);
      version_.fetch_add(1, std::memory_order_acq_rel);
      waiters.swap(waiters_);
    }
    for (auto& weak : waiters) {
      auto waiter = weak.lock();
      if (!waiter) continue;
      // While the waiter's lock is held its timer, and so the executor the timer runs on,
      // is alive: the waiting coroutine detaches under that lock before its frame (and
      // perhaps its io_context, as block_on's) goes. The wake-up holds no timer.
      std::lock_guard lock(waiter->mutex);
      if (waiter->timer == nullptr) continue;
      asio::post(waiter->timer->get_executor(), [weak] {
        if (auto w = weak.lock()) {
          std::lock_guard lock(w->mutex);
          if (w->timer != nullptr) w->timer->cancel();
        }
      });
    }
  }

  // Completes once version() differs from `seen`. Throws asio's operation_aborted when the
  // awaiting coroutine is cancelled (by a timeout or its task group).
  asio::awaitable<void> wait_change(std::uint64_t seen) {
    auto executor = co_await asio::this_coro::executor;
    for (;;) {
      // The timer lives in this frame, so it dies on its own executor; notify() reaches it
      // only through the waiter, and only while it is attached.
      asio::steady_timer timer(executor);
      timer.expires_at(asio::steady_timer::time_point::max());
      auto waiter = std::make_shared<Waiter>();
      waiter->timer = &timer;
      struct Detach {
        Waiter& waiter;
        ~Detach() {
          std::lock_guard lock(waiter.mutex);
          waiter.timer = nullptr;
        }
      } detach{*waiter};
      {
        std::lock_guard lock(mutex_);
        if (version_.load(std::memory_order_acquire) != seen) co_return;
        std::erase_if(waiters_, [](const auto& w) { return w.expired(); });
        waiters_.push_back(waiter);
      }
      std::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      auto state = co_await asio::this_coro::cancellation_state;
      if (state.cancelled() != asio::cancellation_type::none) {
        throw std::system_error(asio::error::operation_aborted);
      }
      // Woken by notify() (or spuriously): the loop re-checks the version.
    }
  }

 private:
  struct Waiter {
    std::mutex mutex;
    asio::steady_timer* timer = nullptr;  // set while its coroutine waits on it
  };

  mutable std::mutex mutex_;
  std::atomic<std::uint64_t> version_ = 0;  // written under mutex_
  std::vector<std::weak_ptr<Waiter>> waiters_;
};

}  // namespace mosaik
