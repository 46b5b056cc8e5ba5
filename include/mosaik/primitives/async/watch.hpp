#pragma once
// Watch<T>: a value that changes over time and receivers that wait for the change (the
// seed's tokio watch channel). Status, catalogs and `when()` conditions are built on it.
//
//   Watch<int> w(0);  auto rx = w.subscribe();
//   w.set(5);  co_await rx.changed();  rx.borrow() == 5;
//   co_await rx.wait_until([](const int& v) { return v >= 5; });

#include <asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <utility>

#include "mosaik/primitives/async/notifier.hpp"

namespace mosaik {

template <class T>
class WatchReceiver;

template <class T>
class Watch {
 public:
  explicit Watch(T initial = T{}) : state_(std::make_shared<State>(std::move(initial))) {}

  void set(T value) {
    {
      std::lock_guard lock(state_->mutex);
      state_->value = std::move(value);
    }
    state_->notifier.notify();
  }

  // Changes the value in place; receivers are woken only when `fn` returns true.
  template <class F>
  void modify(F&& fn) {
    bool changed;
    {
      std::lock_guard lock(state_->mutex);
      changed = std::invoke(std::forward<F>(fn), state_->value);
    }
    if (changed) state_->notifier.notify();
  }

  // A copy of the current value (cheap for the snapshot types mosaik watches).
  T borrow() const {
    std::lock_guard lock(state_->mutex);
    return state_->value;
  }

  WatchReceiver<T> subscribe() const { return WatchReceiver<T>(state_); }

 private:
  friend class WatchReceiver<T>;
  struct State {
    explicit State(T v) : value(std::move(v)) {}
    mutable std::mutex mutex;
    T value;
    Notifier notifier;
  };
  std::shared_ptr<State> state_;
};

// A reader of a Watch: remembers which version it has seen.
template <class T>
class WatchReceiver {
 public:
  T borrow() const {
    std::lock_guard lock(state_->mutex);
    return state_->value;
  }

  // Marks the current value as seen and returns it.
  T borrow_and_update() {
    seen_ = state_->notifier.version();
    return borrow();
  }

  bool has_changed() const { return state_->notifier.version() != seen_; }

  // Completes when the value changed since this receiver last looked (immediately if it has).
  asio::awaitable<void> changed() {
    co_await state_->notifier.wait_change(seen_);
    seen_ = state_->notifier.version();
  }

  // Completes with the first value (current or future) that satisfies `pred`.
  template <class Pred>
  asio::awaitable<T> wait_until(Pred pred) {
    for (;;) {
      const auto version = state_->notifier.version();
      T value = borrow();
      seen_ = version;
      if (std::invoke(pred, std::as_const(value))) co_return value;
      co_await state_->notifier.wait_change(version);
    }
  }

 private:
  friend class Watch<T>;
  explicit WatchReceiver(std::shared_ptr<typename Watch<T>::State> state)
      : state_(std::move(state)), seen_(state_->notifier.version()) {}

  std::shared_ptr<typename Watch<T>::State> state_;
  std::uint64_t seen_;
};

}  // namespace mosaik
