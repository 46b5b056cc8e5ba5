#pragma once
// What every role of the example shares: starting a node, deriving the group key, waiting.

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

#include "mosaik/mosaik.hpp"

namespace orderbook {

// A failure the user can act on: printed as "orderbook: <what>", exit 1.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A node on `network`, bound to `listen`, joining through `peer` if given. Relays and the
// DHT are off (peers are given by address); the short announce interval makes what a node
// joins (the group, its streams) known to the others within a second.
asio::awaitable<mosaik::Network> start_node(std::string network, mosaik::SocketAddr listen,
                                            std::optional<mosaik::EndpointAddr> peer);

// Every engine derives the same key from the same secret.
mosaik::groups::GroupKey group_key_from(const std::string& secret);

// Awaits `op`, or throws Failure("<what> within <timeout> s") when it takes longer.
template <class T>
asio::awaitable<T> within(asio::awaitable<T> op, std::chrono::seconds timeout, std::string what) {
  auto done = co_await mosaik::with_timeout(std::move(op), timeout);
  if (!done) throw Failure(fmt::format("{}: not within {} s (--timeout)", what, timeout.count()));
  if constexpr (!std::is_void_v<T>) co_return std::move(*done);
}

// A flow's failure as a value. Asio's `a || b` ends at the first *successful* completion, so
// a failure must become a value to end a race.
inline asio::awaitable<std::optional<std::string>> failure_of(asio::awaitable<void> flow) {
  try {
    co_await std::move(flow);
  } catch (const std::exception& e) {
    co_return std::string(e.what());
  }
  co_return std::nullopt;
}

}  // namespace orderbook
