#pragma once
// OneShot<T>: one value sent once, received by one coroutine (tokio's oneshot channel). send()
// may come from any thread; the receiver resumes on its own executor. A collection handle's
// pending mutation waits on one: a Watch (its own Notifier, a timer, a waiter record and two
// coroutine frames per wait) cost more than the mutation it waited for.
//
//   auto shot = std::make_shared<OneShot<int>>();
//   ... co_await OneShot<int>::receive(shot) ...   // elsewhere: shot->send(5);
//
// receive() completes at once when the value was already sent, and throws asio's
// operation_aborted when the receiving coroutine is cancelled (a timeout, its task group).
// While it waits, the receiver holds no reference to the OneShot: when every sender drops it
// unsent, the waiting coroutine is destroyed with it (as asio destroys one whose I/O object
// ends with its context), and a sender that keeps it never leaks the receiver through a cycle.

#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/awaitable.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/error.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include <concepts>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <utility>

namespace mosaik {

template <std::default_initializable T>
class OneShot {
 public:
  OneShot() = default;
  OneShot(const OneShot&) = delete;
  OneShot& operator=(const OneShot&) = delete;

  // Sends `value` (a second send is ignored) and wakes the receiver, if one waits.
  void send(T value) {
    std::unique_ptr<Waker> waker;
    {
      std::lock_guard lock(mutex_);
      if (sent_) return;
      sent_ = true;
      waker = std::move(waker_);
      if (!waker) value_ = std::move(value);
    }
    if (waker) waker->wake({}, std::move(value));
  }

  // Completes with the value once it was sent. One receiver at a time.
  static asio::awaitable<T> receive(std::shared_ptr<OneShot> shot) {
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::error_code, T)>(
        [shot = std::move(shot)](auto handler) mutable {
          const auto self = std::move(shot);  // not kept by the waiting coroutine
          self->start(std::move(handler), self);
        },
        asio::use_awaitable);
  }

 private:
  // The receiving coroutine's completion handler, type-erased.
  struct Waker {
    virtual ~Waker() = default;
    virtual void wake(std::error_code ec, T value) = 0;
  };
  template <class Handler>
  struct HandlerWaker final : Waker {
    explicit HandlerWaker(Handler h) : handler(std::move(h)) {}
    // Resumes the receiver on its executor (never inside send(), which may run on another
    // thread or under the sender's locks), detaching its cancellation handler first.
    void wake(std::error_code ec, T value) override {
      auto executor = asio::get_associated_executor(handler);
      asio::post(executor, [h = std::move(handler), ec, v = std::move(value)]() mutable {
        asio::get_associated_cancellation_slot(h).clear();
        std::move(h)(ec, std::move(v));
      });
    }
    Handler handler;
  };
  // Runs on the receiver's thread when its coroutine is cancelled: wakes it with an error.
  struct Canceller {
    std::weak_ptr<OneShot> shot;  // gone once sent and dropped while the wake-up is on its way
    void operator()(asio::cancellation_type type) const {
      const auto self = shot.lock();
      if (type == asio::cancellation_type::none || !self) return;
      std::unique_ptr<Waker> waker;
      {
        std::lock_guard lock(self->mutex_);
        waker = std::move(self->waker_);
      }
      if (waker) waker->wake(asio::error::operation_aborted, T{});
    }
  };

  template <class Handler>
  void start(Handler handler, const std::shared_ptr<OneShot>& self) {
    auto waker = std::make_unique<HandlerWaker<Handler>>(std::move(handler));
    T value;
    {
      std::lock_guard lock(mutex_);
      if (!sent_) {
        auto slot = asio::get_associated_cancellation_slot(waker->handler);
        if (slot.is_connected()) slot.template emplace<Canceller>(Canceller{self});
        waker_ = std::move(waker);
        return;
      }
      value = std::move(*value_);
      value_.reset();
    }
    waker->wake({}, std::move(value));
  }

  std::mutex mutex_;
  bool sent_ = false;
  std::optional<T> value_;        // sent before anyone waited
  std::unique_ptr<Waker> waker_;  // set while a coroutine waits
};

}  // namespace mosaik
