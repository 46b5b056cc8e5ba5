#pragma once
// block_on: runs a coroutine to completion from plain synchronous code (main(), a test).
// It drives a private single-threaded io_context on the calling thread and returns the
// coroutine's result, rethrowing its exception.
//
//   int main() { return mosaik::block_on([]() -> asio::awaitable<int> { co_return 0; }); }

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <concepts>
#include <exception>
#include <functional>
#include <optional>
#include <type_traits>

namespace mosaik {

template <class T>
T block_on(asio::awaitable<T> task) {
  asio::io_context context(1);
  std::exception_ptr error;
  if constexpr (std::is_void_v<T>) {
    asio::co_spawn(context, std::move(task), [&](std::exception_ptr e) { error = e; });
    context.run();
    if (error) std::rethrow_exception(error);
  } else {
    // The result goes through a void wrapper: co_spawn would need T default-constructible.
    std::optional<T> result;
    auto store = [](asio::awaitable<T> inner, std::optional<T>& out) -> asio::awaitable<void> {
      out.emplace(co_await std::move(inner));
    };
    asio::co_spawn(context, store(std::move(task), result), [&](std::exception_ptr e) { error = e; });
    context.run();
    if (error) std::rethrow_exception(error);
    return std::move(*result);
  }
}

// Accepts a callable returning an awaitable (typically a coroutine lambda). The callable
// stays alive until the coroutine finishes, so its captures are safe to use.
template <class F>
  requires std::invocable<F&>
auto block_on(F&& make_task) {
  return block_on(std::invoke(make_task));
}

}  // namespace mosaik
