#pragma once
// Runs an awaitable on a given executor and resumes the caller on its own: transport state
// lives on the endpoint's executor, and callers may await from anywhere.

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <optional>

namespace mosaik::transport::detail {

template <class T>
asio::awaitable<void> store_result(asio::awaitable<T> op, std::optional<T>& out) {
  out.emplace(co_await std::move(op));
}

template <class T>
asio::awaitable<T> on_executor(asio::any_io_executor executor, asio::awaitable<T> op) {
  if ((co_await asio::this_coro::executor) == executor) co_return co_await std::move(op);
  if constexpr (std::is_void_v<T>) {
    co_await asio::co_spawn(executor, std::move(op), asio::use_awaitable);
  } else {
    // Through a void wrapper: co_spawn would need T to be default-constructible.
    std::optional<T> result;
    co_await asio::co_spawn(executor, store_result(std::move(op), result), asio::use_awaitable);
    co_return std::move(*result);
  }
}

}  // namespace mosaik::transport::detail
