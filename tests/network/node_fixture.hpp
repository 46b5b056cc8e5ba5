#pragma once
// Helpers for tests that run real nodes on 127.0.0.1: build a node, wait for catalog states.

#include <gtest/gtest.h>

#include <functional>
#include <source_location>
#include <string>
#include <vector>

#include "mosaik/network/network.hpp"
#include "support/time.hpp"

namespace mosaik::test {

inline discovery::Config::Builder fast_discovery() {
  return discovery::Config::builder()
      .with_announce_interval(millis(200))
      .with_purge_after(secs(3))
      .with_sync_timeout(secs(2))
      .no_auto_bootstrap();
}

inline asio::awaitable<Network> make_node(NetworkId net,
                                          discovery::Config::Builder disc = fast_discovery(),
                                          std::optional<SecretKey> key = std::nullopt,
                                          std::optional<NetworkSecret> secret = std::nullopt) {
  const std::set<SocketAddr> loopback = {SocketAddr(asio::ip::make_address("127.0.0.1"), 0)};
  auto builder = Network::builder(net);
  builder.with_addresses(loopback).with_relay_mode(RelayMode::kDisabled).with_discovery(std::move(disc));
  if (key) builder.with_secret_key(*key);
  if (secret) builder.with_network_secret(*secret);
  auto built = co_await builder.build();
  if (!built) throw std::runtime_error("node failed to start: " + built.error().message);
  co_return std::move(*built);
}

// Waits until `node`'s catalog satisfies `pred`.
// A timeout names the caller's line.
inline asio::awaitable<void> until_catalog(
    const Network& node, std::function<bool(const discovery::Catalog&)> pred, double seconds = 10,
    std::source_location where = std::source_location::current()) {
  auto watch = node.discovery().catalog_watch();
  co_await timeout_s(seconds, watch.wait_until(std::move(pred)), where);
}

inline asio::awaitable<void> until_knows(
    const Network& node, const PeerId& peer, double seconds = 10,
    std::source_location where = std::source_location::current()) {
  co_await until_catalog(node, [peer](const discovery::Catalog& c) { return c.contains(peer); },
                         seconds, where);
}

// `count` nodes, each given only the first as bootstrap; waits until every catalog holds
// all the others.
inline asio::awaitable<std::vector<Network>> make_converged_nodes(
    NetworkId net, std::size_t count, std::function<discovery::Config::Builder()> config,
    double seconds = 20) {
  std::vector<Network> nodes;
  nodes.push_back(co_await make_node(net, config()));
  const auto first = nodes.front().local().addr();
  for (std::size_t i = 1; i < count; ++i) {
    nodes.push_back(co_await make_node(net, config().with_bootstrap(first)));
  }
  for (const auto& n : nodes) {
    co_await until_catalog(n, [count](const discovery::Catalog& c) { return c.size() == count - 1; },
                           seconds);
  }
  co_return nodes;
}

}  // namespace mosaik::test
