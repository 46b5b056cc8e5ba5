#include "observer.hpp"

#include <fmt/format.h>

#include <chrono>

namespace mosaik_tool {
namespace {

using namespace std::chrono_literals;

// One sync bounded by `left` (or unbounded when --timeout is 0).
asio::awaitable<std::expected<void, mosaik::discovery::Error>> sync_within(
    mosaik::Network node, mosaik::EndpointAddr peer, std::optional<std::chrono::milliseconds> left) {
  if (!left) co_return co_await node.discovery().sync_with(peer);
  auto attempt = co_await mosaik::with_timeout(node.discovery().sync_with(peer), *left);
  if (attempt) co_return std::move(*attempt);
  co_return std::unexpected(
      mosaik::discovery::Error{mosaik::discovery::Error::Kind::kLink, "no answer"});
}

}  // namespace

asio::awaitable<mosaik::Network> start_node(const Options& opt) {
  auto discovery = mosaik::discovery::Config::builder();
  if (!opt.dht) discovery.no_auto_bootstrap();
  if (opt.command == Command::kBootstrap) {
    for (const auto& tag : opt.tags) discovery.with_tags(mosaik::Tag(tag));
    for (const auto& peer : opt.bootstrap) discovery.with_bootstrap(peer);
  } else {
    discovery.with_tags(mosaik::Tag(kObserverTag));
  }
  auto builder = mosaik::Network::builder(mosaik::NetworkId(opt.network));
  builder.with_relay_mode(mosaik::RelayMode::kDisabled)
      .with_discovery(std::move(discovery))
      .with_mdns_discovery(opt.mdns);
  builder.with_addresses(std::set<mosaik::SocketAddr>{opt.listen});
  if (opt.secret) builder.with_secret_key(mosaik::SecretKey::from_seed(*opt.secret));
  if (opt.network_secret) builder.with_network_secret(std::string_view(*opt.network_secret));
  if (opt.metrics) builder.with_metrics(*opt.metrics);
  auto built = co_await builder.build();
  if (!built && built.error().kind == mosaik::network::Error::Kind::kMetrics) {
    throw Failure(fmt::format("--metrics: {}", built.error().message));
  }
  if (!built) {
    throw Failure(fmt::format("--listen {}: the node failed to start: {}", opt.listen,
                              built.error().message));
  }
  co_return std::move(*built);
}

asio::awaitable<void> join_through_bootstrap(mosaik::Network node, const Options& opt) {
  if (opt.bootstrap.empty()) co_return;
  const auto deadline = std::chrono::steady_clock::now() + opt.timeout;
  std::size_t reached = 0;
  std::string last_error;
  for (const auto& peer : opt.bootstrap) {
    std::optional<std::chrono::milliseconds> left;
    if (opt.timeout.count() > 0) {
      left = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now()),
                      1ms);
    }
    auto synced = co_await sync_within(node, peer, left);
    if (synced) {
      ++reached;
      continue;
    }
    last_error = fmt::format("--bootstrap {}: not reachable: {}", peer, synced.error().message);
    fmt::print(stderr, "mosaik: {}\n", last_error);
  }
  if (reached == 0) {
    throw Failure(opt.bootstrap.size() == 1
                      ? last_error
                      : fmt::format("--bootstrap: none of the {} peers was reachable within {} s "
                                    "(--timeout)",
                                    opt.bootstrap.size(), opt.timeout.count()));
  }
}

}  // namespace mosaik_tool
