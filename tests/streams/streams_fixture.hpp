#pragma once
// Helpers for streams tests: datum types, nodes that already know each other, and bounded
// waits for channel events and received datums.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mosaik/network/network.hpp"
#include "node_fixture.hpp"
#include "support/co_assert.hpp"
#include "support/time.hpp"

namespace mosaik::test {

struct Reading {
  std::uint64_t seq = 0;
  std::string note;
  MSGPACK_DEFINE(seq, note);
  static constexpr std::string_view stream_name = "test/reading";
  bool operator==(const Reading&) const = default;
};

// Another shape on the wire: a Reading consumer cannot decode it.
struct Garbage {
  std::string text;
  MSGPACK_DEFINE(text);
  static constexpr std::string_view stream_name = "test/garbage";
};

inline const NetworkId kStreamsNet = "streams-net-test";

// A node that bootstraps from `seed` (or none). g++ 12: callers pass named locals, never
// braced temporaries, inside the co_await expression.
inline asio::awaitable<Network> node(std::optional<EndpointAddr> seed = std::nullopt,
                                     std::vector<Tag> tags = {},
                                     std::optional<SecretKey> key = std::nullopt) {
  auto disc = fast_discovery();
  if (seed) disc.with_bootstrap(*seed);
  for (const auto& t : tags) disc.with_tags(t);
  co_return co_await make_node(kStreamsNet, std::move(disc), std::move(key));
}

// A node like node() whose streams subsystem is configured by `streams` (e.g. a smaller
// bound under test).
inline asio::awaitable<Network> node_with_streams(streams::Config::Builder streams) {
  const std::set<SocketAddr> loopback = {SocketAddr(asio::ip::make_address("127.0.0.1"), 0)};
  auto builder = Network::builder(kStreamsNet);
  builder.with_addresses(loopback).with_relay_mode(RelayMode::kDisabled)
      .with_discovery(fast_discovery()).with_streams(std::move(streams));
  auto built = co_await builder.build();
  if (!built) throw std::runtime_error("node failed to start: " + built.error().message);
  co_return std::move(*built);
}

// A consumer backoff short enough that a test sees several reconnection attempts.
inline streams::ExponentialBackoff quick_backoff() {
  return streams::ExponentialBackoff{.initial_interval = millis(100), .max_interval = millis(500)};
}

// Waits for a channel event with `reason`; other events are skipped.
inline asio::awaitable<streams::ChannelEvent> until_event(BroadcastReceiver<streams::ChannelEvent>& events,
                                                          transport::CloseReason reason,
                                                          double seconds = 10) {
  auto wait = [](BroadcastReceiver<streams::ChannelEvent>& rx,
                 transport::CloseReason want) -> asio::awaitable<streams::ChannelEvent> {
    for (;;) {
      auto ev = co_await rx.recv();
      if (ev && ev->reason == want) co_return *ev;
    }
  };
  co_return co_await timeout_s(seconds, wait(events, reason));
}

template <class D>
asio::awaitable<std::vector<D>> receive_n(streams::Consumer<D>& consumer, std::size_t n,
                                          double seconds = 10) {
  auto take = [](streams::Consumer<D>& c, std::size_t count) -> asio::awaitable<std::vector<D>> {
    std::vector<D> out;
    while (out.size() < count) {
      auto d = co_await c.recv();
      if (!d) break;
      out.push_back(std::move(*d));
    }
    co_return out;
  };
  co_return co_await timeout_s(seconds, take(consumer, n));
}

}  // namespace mosaik::test
