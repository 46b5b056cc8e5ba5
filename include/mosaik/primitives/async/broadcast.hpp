#pragma once
// Broadcast<T>: every receiver sees every value, through a bounded backlog. A receiver that
// falls more than `capacity` values behind skips to the oldest retained one and is told how
// many it missed (Lagged{n}), as the seed's discovery events. The sender never waits.
//
//   Broadcast<Event> events(1024);  auto rx = events.subscribe();
//   events.send(e);  auto got = co_await rx.recv();   // expected<Event, BroadcastError>

#include <asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <expected>
#include <memory>
#include <mutex>
#include <variant>

#include "mosaik/primitives/async/notifier.hpp"

namespace mosaik {

// The receiver was too slow: `missed` values were dropped before it read them.
struct Lagged {
  std::uint64_t missed;
  bool operator==(const Lagged&) const = default;
};
// Every sender is gone and the backlog is drained.
struct BroadcastClosed {
  bool operator==(const BroadcastClosed&) const = default;
};
// Nothing to read yet (only try_recv reports this; recv waits instead).
struct BroadcastEmpty {
  bool operator==(const BroadcastEmpty&) const = default;
};
using BroadcastError = std::variant<Lagged, BroadcastClosed, BroadcastEmpty>;

template <class T>
class BroadcastReceiver;

template <class T>
class Broadcast {
 public:
  explicit Broadcast(std::size_t capacity) : state_(std::make_shared<State>(capacity)) {}
  Broadcast(const Broadcast&) = delete;
  Broadcast& operator=(const Broadcast&) = delete;
  ~Broadcast() { close(); }

  void send(T value) {
    {
      std::lock_guard lock(state_->mutex);
      if (state_->closed) return;
      state_->backlog.push_back(std::move(value));
      if (state_->backlog.size() > state_->capacity) {
        state_->backlog.pop_front();
        ++state_->first_seq;
      }
    }
    state_->notifier.notify();
  }

  // Receivers drain what is buffered, then see BroadcastClosed.
  void close() {
    {
      std::lock_guard lock(state_->mutex);
      if (state_->closed) return;
      state_->closed = true;
    }
    state_->notifier.notify();
  }

  // A receiver that starts with the next value sent.
  BroadcastReceiver<T> subscribe() const { return BroadcastReceiver<T>(state_); }

 private:
  friend class BroadcastReceiver<T>;
  struct State {
    explicit State(std::size_t cap) : capacity(cap == 0 ? 1 : cap) {}
    std::mutex mutex;
    std::size_t capacity;
    std::deque<T> backlog;
    std::uint64_t first_seq = 0;  // sequence number of backlog.front()
    bool closed = false;
    Notifier notifier;
  };
  std::shared_ptr<State> state_;
};

template <class T>
class BroadcastReceiver {
 public:
  // The next value, Lagged{n} once after values were dropped, BroadcastClosed, or
  // BroadcastEmpty when nothing has arrived yet. Never waits.
  std::expected<T, BroadcastError> try_recv() {
    std::lock_guard lock(state_->mutex);
    return take_locked();
  }

  // Waits for the next value (or Lagged / BroadcastClosed).
  asio::awaitable<std::expected<T, BroadcastError>> recv() {
    for (;;) {
      const auto version = state_->notifier.version();
      {
        std::lock_guard lock(state_->mutex);
        if (ready_locked()) co_return take_locked();
      }
      co_await state_->notifier.wait_change(version);
    }
  }

 private:
  friend class Broadcast<T>;
  using State = typename Broadcast<T>::State;

  explicit BroadcastReceiver(std::shared_ptr<State> state) : state_(std::move(state)) {
    std::lock_guard lock(state_->mutex);
    next_seq_ = state_->first_seq + state_->backlog.size();
  }

  std::uint64_t end_seq_locked() const { return state_->first_seq + state_->backlog.size(); }

  bool ready_locked() const {
    return next_seq_ < state_->first_seq || next_seq_ < end_seq_locked() || state_->closed;
  }

  std::expected<T, BroadcastError> take_locked() {
    if (next_seq_ < state_->first_seq) {
      const std::uint64_t missed = state_->first_seq - next_seq_;
      next_seq_ = state_->first_seq;
      return std::unexpected(Lagged{missed});
    }
    if (next_seq_ < end_seq_locked()) {
      return state_->backlog[static_cast<std::size_t>(next_seq_++ - state_->first_seq)];
    }
    if (state_->closed) return std::unexpected(BroadcastClosed{});
    return std::unexpected(BroadcastEmpty{});
  }

  std::shared_ptr<State> state_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace mosaik
