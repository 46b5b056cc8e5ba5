// mdns_node: one node with mDNS discovery on, bound to the default 0.0.0.0:0 and given no
// bootstrap peer, for the network-namespace tests (run inside a namespace by
// `ip netns exec`). It prints "address: <its address>", then "discovered: <peer id>" for each
// peer its catalog gains and "entry addresses: <id@addresses>" whenever a peer's entry
// names other addresses, and runs until SIGTERM or SIGINT; then it shuts down and exits 0.
// It logs as MOSAIK_LOG says.
//
//   mdns_node [--network NAME]
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/this_coro.hpp>

#include <cstdio>
#include <map>
#include <string>
#include <string_view>

#include "mosaik/mosaik.hpp"
#include "mosaik/primitives/log.hpp"
#include "mosaik/primitives/async/stop_signals.hpp"

namespace {

using namespace asio::experimental::awaitable_operators;

// Prints each peer once, as the catalog gains it, and its entry's addresses whenever they
// change; ends only when cancelled.
asio::awaitable<void> print_discovered(mosaik::Network network) {
  auto watch = network.discovery().catalog_watch();
  std::map<mosaik::PeerId, std::string> addresses;
  for (;;) {
    for (const auto& [id, entry] : watch.borrow_and_update()) {
      if (id == network.local().id()) continue;
      auto [known, discovered] = addresses.try_emplace(id);
      if (discovered) std::printf("discovered: %s\n", id.to_string().c_str());
      auto now = entry.addr().to_string();
      if (known->second != now) std::printf("entry addresses: %s\n", now.c_str());
      known->second = std::move(now);
      std::fflush(stdout);
    }
    co_await watch.changed();
  }
}

asio::awaitable<int> run(std::string network_name) {
  mosaik::StopSignals stop(co_await asio::this_coro::executor);
  // The default bind (0.0.0.0:0), no bootstrap peer and no DHT: mDNS alone must find the others.
  auto builder = mosaik::Network::builder(mosaik::NetworkId(network_name));
  builder.with_relay_mode(mosaik::RelayMode::kDisabled)
      .with_mdns_discovery(true)
      .with_discovery(mosaik::discovery::Config::builder().no_auto_bootstrap());
  auto built = co_await builder.build();
  if (!built) {
    std::fprintf(stderr, "mdns_node: the node failed to start: %s\n", built.error().message.c_str());
    co_return 1;
  }
  mosaik::Network network = std::move(*built);
  std::printf("address: %s\n", network.local().addr().to_string().c_str());
  std::fflush(stdout);
  (void)co_await (print_discovered(network) || stop.wait());
  co_await network.shutdown();
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  mosaik::log::init_from_env();  // MOSAIK_LOG=mdns=debug shows what mDNS ignored, and why
  std::string network = "mdns-netns-test";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--network" && i + 1 < argc) {
      network = argv[++i];
    } else {
      std::fprintf(stderr, "mdns_node: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  return mosaik::block_on(run(std::move(network)));
}
