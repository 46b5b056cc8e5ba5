// collections_example: the seed's Collections quick start as processes. One writer fills a
// replicated Map; readers on other processes (other machines alike) follow it, printing each
// version as it arrives. Readers never vote: start and stop as many as you like.
//
//   collections_example --role writer --key-seed writer-1 --listen 127.0.0.1:4100 --count 20
//   collections_example --role reader --peers <writer id>@127.0.0.1:4100 --count 20
//
// The writer prints its id and address, inserts --count prices, then stays until Ctrl-C or
// SIGTERM. A reader exits 0 once it holds --count entries (1 after --timeout seconds).

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <asio/this_coro.hpp>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "mosaik/collections/collections.hpp"
#include "mosaik/mosaik.hpp"
#include "mosaik/primitives/async/stop_signals.hpp"
#include "mosaik/primitives/async/timeout.hpp"

namespace {

using Prices = mosaik::collections::Map<std::string, std::uint64_t>;

struct Opts {
  std::string role = "writer";
  std::string network_id = "collections-example";
  std::optional<std::string> key_seed;  // a stable identity, so readers can name the writer
  std::vector<std::string> peers;
  std::string listen = "127.0.0.1:0";
  std::string store = "prices";
  std::uint64_t count = 10;
  double timeout_s = 60;
};

asio::awaitable<std::optional<mosaik::Network>> start(const Opts& o, mosaik::SocketAddr listen,
                                                      const std::vector<mosaik::EndpointAddr>& peers) {
  auto discovery = mosaik::discovery::Config::builder().no_auto_bootstrap();
  for (const auto& p : peers) discovery.with_bootstrap(p);
  auto builder = mosaik::Network::builder(mosaik::NetworkId(o.network_id));
  builder.with_secret_key(o.key_seed ? mosaik::SecretKey::from_seed(*o.key_seed) : mosaik::SecretKey::generate())
      .with_relay_mode(mosaik::RelayMode::kDisabled)
      .with_addresses(std::set<mosaik::SocketAddr>{listen})
      .with_discovery(std::move(discovery));
  auto network = co_await builder.build();
  if (!network) {
    fmt::print(stderr, "collections_example: the node failed to start: {}\n", network.error().message);
    co_return std::nullopt;
  }
  co_return std::move(*network);
}

asio::awaitable<int> run_writer(const Opts& o, mosaik::Network network) {
  mosaik::StopSignals stop(co_await asio::this_coro::executor);
  fmt::print("Writer {} at {}\n", network.local().id().to_string(), network.local().addr());
  auto prices = Prices::writer(network, mosaik::StoreId(o.store));
  co_await prices.when().online();
  for (std::uint64_t i = 1; i <= o.count; ++i) {
    const std::string key = fmt::format("coin-{}", i);
    auto v = co_await prices.insert(key, i * 100);
    if (!v) {
      fmt::print(stderr, "insert {} failed: {}\n", key, v.error().message());
      co_return 1;
    }
    fmt::print("inserted {} = {} at version {}\n", key, i * 100, *v);
  }
  fmt::print("writer done: {} entries at version {}\n", prices.len(), prices.version());
  const int signal = co_await stop.wait();
  fmt::print("{} received, leaving\n", signal == SIGINT ? "SIGINT" : "SIGTERM");
  co_await network.shutdown();
  co_return 0;
}

asio::awaitable<bool> follow(Prices::reader_type prices, std::uint64_t count) {
  while (prices.len() < count) {
    const auto v = co_await prices.when().updated();
    fmt::print("version {}: {} entries\n", v, prices.len());
  }
  co_return true;
}

asio::awaitable<int> run_reader(const Opts& o, mosaik::Network network) {
  auto prices = Prices::reader(network, mosaik::StoreId(o.store));
  fmt::print("Reader {} following '{}'\n", network.local().id().to_string(), o.store);
  auto done = co_await mosaik::with_timeout(follow(prices, o.count),
                                            std::chrono::milliseconds(static_cast<long>(o.timeout_s * 1000)));
  co_await network.shutdown();
  if (!done) {
    fmt::print(stderr, "reader: {} of {} entries after {} s\n", prices.len(), o.count, o.timeout_s);
    co_return 1;
  }
  const auto last = prices.get(fmt::format("coin-{}", o.count));
  fmt::print("reader done: {} entries at version {}, coin-{} = {}\n", prices.len(), prices.version(), o.count,
             last.value_or(0));
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"collections_example: a replicated Map with one writer and any number of readers"};
  Opts o;
  app.add_option("--role", o.role, "writer or reader")->check(CLI::IsMember({"writer", "reader"}));
  app.add_option("-n,--network-id", o.network_id, "network id (a name, hashed)");
  app.add_option("--key-seed", o.key_seed, "secret key seed: a stable node id");
  app.add_option("-p,--peers", o.peers, "nodes to join through, <id>@<ip>:<port>")->delimiter(' ');
  app.add_option("--listen", o.listen, "UDP address to bind, ip:port");
  app.add_option("--store", o.store, "the map's StoreId (a name, hashed)");
  app.add_option("--count", o.count, "writer: entries to insert; reader: entries to wait for");
  app.add_option("--timeout", o.timeout_s, "reader: seconds to wait for --count entries");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  std::vector<mosaik::EndpointAddr> peers;
  for (const auto& p : o.peers) {
    auto addr = mosaik::EndpointAddr::parse(p);
    if (!addr || addr->direct_addresses.empty()) {
      fmt::print(stderr, "collections_example: --peers: '{}' is not <id>@<ip>:<port>\n", p);
      return 2;
    }
    peers.push_back(*addr);
  }
  const auto any_id = mosaik::SecretKey::from_seed("collections_example/listen").public_key().to_string();
  auto bound = mosaik::EndpointAddr::parse(any_id + "@" + o.listen);
  if (!bound || bound->direct_addresses.size() != 1) {
    fmt::print(stderr, "collections_example: --listen: '{}' is not <ip>:<port>\n", o.listen);
    return 2;
  }
  mosaik::log::init_from_env();
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  try {
    return mosaik::block_on([](Opts opts, std::vector<mosaik::EndpointAddr> ps,
                               mosaik::SocketAddr listen) -> asio::awaitable<int> {
      auto network = co_await start(opts, listen, ps);
      if (!network) co_return 1;
      if (opts.role == "writer") co_return co_await run_writer(opts, std::move(*network));
      co_return co_await run_reader(opts, std::move(*network));
    }(std::move(o), std::move(peers), *bound->direct_addresses.begin()));
  } catch (const std::exception& e) {
    fmt::print(stderr, "collections_example: {}\n", e.what());
    return 1;
  }
}
