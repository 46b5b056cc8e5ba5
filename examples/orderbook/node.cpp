#include "node.hpp"

namespace orderbook {

using namespace std::chrono_literals;

asio::awaitable<mosaik::Network> start_node(std::string network, mosaik::SocketAddr listen,
                                            std::optional<mosaik::EndpointAddr> peer) {
  auto discovery = mosaik::discovery::Config::builder();
  discovery.with_announce_interval(1s).no_auto_bootstrap();
  if (peer) discovery.with_bootstrap(*peer);
  auto builder = mosaik::Network::builder(mosaik::NetworkId(network));
  builder.with_relay_mode(mosaik::RelayMode::kDisabled)
      .with_discovery(std::move(discovery))
      .with_addresses(std::set<mosaik::SocketAddr>{listen});
  auto built = co_await builder.build();
  if (!built) throw Failure(fmt::format("a node failed to start: {}", built.error().message));
  if (peer) {  // first contact now rather than at the next bootstrap round
    auto synced = co_await built->discovery().sync_with(*peer);
    if (!synced) throw Failure(fmt::format("--peer {}: {}", *peer, synced.error().message));
  }
  co_return std::move(*built);
}

mosaik::groups::GroupKey group_key_from(const std::string& secret) {
  return mosaik::groups::GroupKey::from_bytes(mosaik::Digest::from_parts({"orderbook/group-key", secret}).as_bytes());
}

}  // namespace orderbook
