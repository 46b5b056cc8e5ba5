#pragma once
// TaskGroup: owns background coroutines on one executor, as Seastar's gate. Every task is
// cancellable through Asio's per-operation cancellation; close() refuses new tasks,
// cancels the running ones and waits until all have finished. No task outlives its owner
// unnoticed: destroying the group cancels what is left.
//
//   TaskGroup tasks(executor);
//   tasks.spawn(accept_loop(listener));
//   co_await tasks.close();

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/dispatch.hpp>
#include <asio/multiple_exceptions.hpp>

#include <cstddef>
#include <exception>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <system_error>

#include "mosaik/primitives/async/notifier.hpp"

namespace mosaik {

class TaskGroup {
 public:
  // Called with the exception a task ended with (cancellation is not reported).
  using ErrorSink = std::function<void(std::exception_ptr)>;

  explicit TaskGroup(asio::any_io_executor executor, ErrorSink on_error = {})
      : state_(std::make_shared<State>(std::move(executor), std::move(on_error))) {}
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;
  // With no task left (closed and joined, or never used) the executor is not touched: an
  // owner may outlive it (a Streams or Group handle kept after its Network is gone).
  ~TaskGroup() {
    if (size() > 0) cancel_all();
  }

  // Starts `task`; returns false (and drops it) once the group is closing.
  bool spawn(asio::awaitable<void> task) {
    auto state = state_;
    std::list<Entry>::iterator entry;
    {
      std::lock_guard lock(state->mutex);
      if (state->closing) return false;
      entry = state->entries.emplace(state->entries.end());
    }
    asio::co_spawn(state->executor, std::move(task),
                   asio::bind_cancellation_slot(entry->signal.slot(),
                                                [state, entry](std::exception_ptr error) {
                                                  state->finish(entry, error);
                                                }));
    return true;
  }

  // Asks every running task to stop (terminal cancellation). New tasks are still accepted.
  void cancel_all() {
    auto state = state_;
    asio::dispatch(state->executor, [state] {
      std::lock_guard lock(state->mutex);
      for (auto& e : state->entries) e.signal.emit(asio::cancellation_type::terminal);
    });
  }

  // Refuses new tasks, cancels running ones and completes when none is left.
  asio::awaitable<void> close() {
    {
      std::lock_guard lock(state_->mutex);
      state_->closing = true;
    }
    cancel_all();
    co_await join();
  }

  // Completes when no task is running (without cancelling anything).
  asio::awaitable<void> join() {
    for (;;) {
      const auto version = state_->notifier.version();
      if (size() == 0) co_return;
      co_await state_->notifier.wait_change(version);
    }
  }

  std::size_t size() const {
    std::lock_guard lock(state_->mutex);
    return state_->entries.size();
  }

 private:
  struct Entry {
    asio::cancellation_signal signal;
  };
  struct State {
    State(asio::any_io_executor ex, ErrorSink sink)
        : executor(std::move(ex)), on_error(std::move(sink)) {}

    void finish(std::list<Entry>::iterator entry, std::exception_ptr error) {
      {
        std::lock_guard lock(mutex);
        entries.erase(entry);
      }
      if (error && on_error && !is_cancellation(error)) on_error(error);
      notifier.notify();
    }

    static bool is_cancellation(std::exception_ptr error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::system_error& e) {
        return e.code() == asio::error::operation_aborted;
      } catch (const asio::multiple_exceptions& e) {
        // Both sides of an awaitable `||` were cancelled together.
        return is_cancellation(e.first_exception());
      } catch (...) {
        return false;
      }
    }

    asio::any_io_executor executor;
    ErrorSink on_error;
    mutable std::mutex mutex;
    std::list<Entry> entries;
    bool closing = false;
    Notifier notifier;
  };
  std::shared_ptr<State> state_;
};

}  // namespace mosaik
