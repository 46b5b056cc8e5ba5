// bootstrap: the seed's "Building a Bootstrap Node" tutorial in C++. A bootstrap node is a
// regular mosaik node that stays online under a stable identity, so that others can name it
// as their first peer; gossip does the rest. `mosaik bootstrap` (tools/mosaik) is the same
// node with the tool's common flags.
//
//   bootstrap --network-id my-network --secret my-bootstrap-secret --listen 0.0.0.0:4001
//   MOSAIK_BOOTSTRAP_SECRET=my-secret MOSAIK_BOOTSTRAP_NETWORK_ID=my-network bootstrap
//   bootstrap --network-id my-network --secret node-1 --peers <id>@<ip>:<port>   # a second one
//
// Ctrl-C or SIGTERM makes it leave the network gracefully and exit 0.

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <asio/this_coro.hpp>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "mosaik/mosaik.hpp"
#include "mosaik/primitives/async/stop_signals.hpp"

namespace {

struct Opts {
  std::optional<std::string> secret;      // a seed, hashed into the key: stable across restarts
  std::optional<std::string> network_id;  // a name, hashed into the id
  std::vector<std::string> peers;         // other bootstrap nodes, <id>@<ip>:<port>
  std::vector<std::string> tags{"bootstrap"};
  std::string listen = "0.0.0.0:0";
  bool no_relay = false;
  bool quiet = false;
};

// A command line error: "bootstrap: <flag>: <what>", exit 2.
std::optional<std::string> check(const Opts& o, std::vector<mosaik::EndpointAddr>& peers,
                                 mosaik::SocketAddr& listen) {
  for (const auto& p : o.peers) {
    auto addr = mosaik::EndpointAddr::parse(p);
    if (!addr || addr->direct_addresses.empty()) {
      return fmt::format("--peers: '{}' is not <id>@<ip>:<port>", p);
    }
    peers.push_back(*addr);
  }
  // Borrow EndpointAddr's socket parser through a throwaway id.
  const auto any_id = mosaik::SecretKey::from_seed("bootstrap/listen").public_key().to_string();
  auto bound = mosaik::EndpointAddr::parse(any_id + "@" + o.listen);
  if (!bound || bound->direct_addresses.size() != 1) {
    return fmt::format("--listen: '{}' is not <ip>:<port>", o.listen);
  }
  listen = *bound->direct_addresses.begin();
  return std::nullopt;
}

asio::awaitable<int> run(Opts opts, std::vector<mosaik::EndpointAddr> peers,
                         mosaik::SocketAddr listen) {
  mosaik::StopSignals stop(co_await asio::this_coro::executor);  // first: signals no longer kill
  auto secret = opts.secret ? mosaik::SecretKey::from_seed(*opts.secret) : [&] {
    fmt::print(stderr, "bootstrap: no secret key provided, generating a random key\n");
    return mosaik::SecretKey::generate();
  }();
  auto network_id = opts.network_id ? mosaik::NetworkId(*opts.network_id) : [&] {
    fmt::print(stderr, "bootstrap: no network id provided, generating a random network id\n");
    return mosaik::NetworkId(mosaik::SecretKey::generate().public_key().to_string());
  }();

  auto discovery = mosaik::discovery::Config::builder();
  for (const auto& tag : opts.tags) discovery.with_tags(mosaik::Tag(tag));
  for (const auto& peer : peers) discovery.with_bootstrap(peer);
  auto builder = mosaik::Network::builder(network_id);
  builder.with_secret_key(secret).with_discovery(std::move(discovery));
  builder.with_addresses(std::set<mosaik::SocketAddr>{listen});
  if (opts.no_relay) builder.with_relay_mode(mosaik::RelayMode::kDisabled);
  auto network = co_await builder.build();
  if (!network) {
    fmt::print(stderr, "bootstrap: the node failed to start: {}\n", network.error().message);
    co_return 1;
  }

  if (!opts.quiet) {
    fmt::print("Bootstrap node started\n");
    fmt::print("Public Id: {}\n", network->local().id().to_string());
    fmt::print("Network Id: {}\n", network->network_id().to_hex());
    fmt::print("Address: {}\n", network->local().addr());
  }
  // Stay alive until stopped (the node runs on its own thread).
  const int signal = co_await stop.wait();
  if (!opts.quiet) {
    fmt::print("{} received, leaving the network\n", signal == SIGINT ? "SIGINT" : "SIGTERM");
  }
  co_await network->shutdown();
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bootstrap: a long-lived mosaik node that others join through"};
  app.option_defaults()->always_capture_default();
  Opts o;
  app.add_option("-s,--secret", o.secret, "secret key seed, for a stable identity across restarts")
      ->envname("MOSAIK_BOOTSTRAP_SECRET");
  app.add_option("-n,--network-id", o.network_id, "network id (a name, hashed)")
      ->envname("MOSAIK_BOOTSTRAP_NETWORK_ID");
  app.add_option("-p,--peers", o.peers, "other bootstrap nodes to connect to, <id>@<ip>:<port>")
      ->envname("MOSAIK_BOOTSTRAP_PEERS")
      ->delimiter(' ');
  app.add_option("-t,--tags", o.tags, "tags to advertise")
      ->envname("MOSAIK_BOOTSTRAP_TAGS")
      ->delimiter(',');
  app.add_option("--listen", o.listen, "UDP address to bind, ip:port (port 0: any free port)")
      ->envname("MOSAIK_BOOTSTRAP_LISTEN");
  app.add_flag("--no-relay", o.no_relay, "disable relay servers (relays are not built yet)");
  app.add_flag("-q,--quiet", o.quiet, "suppress all output");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  std::vector<mosaik::EndpointAddr> peers;
  mosaik::SocketAddr listen;
  if (auto error = check(o, peers, listen)) {
    fmt::print(stderr, "bootstrap: {}\n", *error);
    return 2;
  }
  mosaik::log::init_from_env();  // MOSAIK_LOG=debug for more (the seed's -v)
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  try {
    return mosaik::block_on(run(std::move(o), std::move(peers), listen));
  } catch (const std::exception& e) {
    fmt::print(stderr, "bootstrap: {}\n", e.what());
    return 1;
  }
}
