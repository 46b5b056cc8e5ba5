#pragma once
// Runs an awaitable on a given executor and resumes the caller on its own: transport state
// lives on the endpoint's executor, and callers may await from anywhere. Cancellation of the
// caller is forwarded to the other executor (never emitted across threads directly).

#include <asio/awaitable.hpp>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/dispatch.hpp>
#include <asio/io_context.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <memory>
#include <optional>

namespace mosaik::transport::detail {

template <class T>
asio::awaitable<void> store_result(asio::awaitable<T> op, std::optional<T>& out) {
  out.emplace(co_await std::move(op));
}

// True when `executor` belongs to an io_context that has stopped for good (its endpoint
// shut down and joined its thread): nothing posted there will ever run.
inline bool executor_stopped(const asio::any_io_executor& executor) {
  const auto* io = executor.target<asio::io_context::executor_type>();
  return io != nullptr && io->context().stopped();
}

template <class T>
asio::awaitable<T> on_executor(asio::any_io_executor executor, asio::awaitable<T> op) {
  if ((co_await asio::this_coro::executor) == executor) co_return co_await std::move(op);
  auto signal = std::make_shared<asio::cancellation_signal>();
  asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  asio::cancellation_slot caller = state.slot();
  if (caller.is_connected()) {
    caller.assign([signal, executor](asio::cancellation_type type) {
      asio::dispatch(executor, [signal, type] { signal->emit(type); });
    });
  }
  auto token = asio::bind_cancellation_slot(signal->slot(), asio::use_awaitable);
  if constexpr (std::is_void_v<T>) {
    co_await asio::co_spawn(executor, std::move(op), token);
  } else {
    // Through a void wrapper: co_spawn would need T to be default-constructible.
    std::optional<T> result;
    co_await asio::co_spawn(executor, store_result(std::move(op), result), token);
    if (caller.is_connected()) caller.clear();
    co_return std::move(*result);
  }
  if (caller.is_connected()) caller.clear();
}

}  // namespace mosaik::transport::detail
