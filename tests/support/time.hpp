#pragma once
// Test durations scaled by TIME_FACTOR (default 1.0), as the seed's testing guide:
// TIME_FACTOR=2.0 doubles every timeout for slow machines.
//
//   auto got = co_await mosaik::test::timeout_s(5, consumer.recv());   // fails the test at this line

#include <gtest/gtest.h>

#include <asio/awaitable.hpp>

#include <chrono>
#include <source_location>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "mosaik/primitives/async/timeout.hpp"

namespace mosaik::test {

double time_factor();

std::chrono::milliseconds millis(double n);
std::chrono::milliseconds secs(double n);

// Thrown when a timeout_* helper expires; the message names the test's own line.
struct TestTimeout : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string describe_timeout(std::chrono::milliseconds limit, const std::source_location& where);

template <class T>
asio::awaitable<T> timeout_ms(double n, asio::awaitable<T> op,
                              std::source_location where = std::source_location::current()) {
  const auto limit = millis(n);
  auto result = co_await with_timeout(std::move(op), limit);
  if (!result) throw TestTimeout(describe_timeout(limit, where));
  if constexpr (!std::is_void_v<T>) co_return std::move(*result);
}

template <class T>
asio::awaitable<T> timeout_s(double n, asio::awaitable<T> op,
                             std::source_location where = std::source_location::current()) {
  return timeout_ms(n * 1000.0, std::move(op), where);
}

}  // namespace mosaik::test
