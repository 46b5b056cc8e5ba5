// quickstart: the seed's Quick Start in C++. Two nodes on one network discover each other
// and stream typed sensor readings from a producer to a consumer.
//
//   quickstart                                   # both nodes in this process (the default)
//   quickstart --role producer                   # prints its address, waits for a consumer
//   quickstart --role consumer --peer <address>  # in a second terminal
//
// Every flag has a MOSAIK_* environment fallback (MOSAIK_ROLE, MOSAIK_PEER, ...).

#include <CLI/CLI.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdint>
#include <optional>
#include <string>

#include "mosaik/mosaik.hpp"
#include "mosaik/network/network.hpp"

namespace {

using namespace std::chrono_literals;

// Step 2 of the Quick Start: a Datum is any msgpack-serializable type. The stream name is
// set explicitly so that builds by different compilers agree on the stream id.
struct SensorReading {
  std::uint64_t sensor_id = 0;
  double temperature = 0;
  std::uint64_t timestamp = 0;
  MSGPACK_DEFINE(sensor_id, temperature, timestamp);
  static constexpr std::string_view stream_name = "quickstart/sensor-reading";
};

struct Options {
  std::string role = "both";
  std::optional<std::string> peer;
  std::string network = "sensor-network";
  std::optional<std::string> secret;
  std::string listen = "127.0.0.1:0";
  std::uint64_t count = 10;
  std::uint64_t interval_ms = 100;
  std::uint64_t timeout_s = 60;
};

std::uint64_t unix_seconds() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

std::optional<mosaik::SocketAddr> parse_socket(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string host = text.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  asio::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return std::nullopt;
  try {
    return mosaik::SocketAddr(address, static_cast<std::uint16_t>(std::stoul(text.substr(colon + 1))));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

asio::awaitable<mosaik::Network> start_node(const Options& opt, std::optional<mosaik::EndpointAddr> bootstrap) {
  auto discovery = mosaik::discovery::Config::builder();
  if (bootstrap) discovery.with_bootstrap(*bootstrap);
  auto builder = mosaik::Network::builder(opt.network);
  builder.with_relay_mode(mosaik::RelayMode::kDisabled).with_discovery(std::move(discovery));
  if (auto listen = parse_socket(opt.listen)) {
    const std::set<mosaik::SocketAddr> addresses = {*listen};
    builder.with_addresses(addresses);
  }
  if (opt.secret) builder.with_secret_key(mosaik::SecretKey::from_seed(*opt.secret));
  auto built = co_await builder.build();
  if (!built) throw std::runtime_error("node failed to start: " + built.error().message);
  co_return std::move(*built);
}

// Steps 3-4: wait for a subscriber, then send.
asio::awaitable<void> produce(mosaik::streams::Producer<SensorReading> producer, Options opt) {
  co_await producer.when().online();
  fmt::print("producer: a consumer subscribed, sending {} readings\n", opt.count);
  for (std::uint64_t i = 0; i < opt.count; ++i) {
    SensorReading reading{1, 20.0 + static_cast<double>(i) * 0.5, unix_seconds()};
    auto sent = co_await producer.send(reading);
    if (!sent) throw std::runtime_error("the producer closed");
    fmt::print("producer: sent    sensor {} at {:.1f}°C\n", reading.sensor_id, reading.temperature);
    if (opt.interval_ms > 0) co_await mosaik::sleep_for(std::chrono::milliseconds(opt.interval_ms));
  }
}

// Steps 5-6: wait for the subscription, then receive.
asio::awaitable<void> consume(mosaik::streams::Consumer<SensorReading> consumer, Options opt) {
  co_await consumer.when().subscribed();
  fmt::print("consumer: subscribed to {} producer(s)\n", consumer.producers().size());
  for (std::uint64_t i = 0; i < opt.count; ++i) {
    auto reading = co_await consumer.recv();
    if (!reading) throw std::runtime_error("the consumer closed");
    fmt::print("consumer: received sensor {} at {:.1f}°C\n", reading->sensor_id, reading->temperature);
  }
  fmt::print("consumer: {}\n", consumer.stats());
}

template <class T>
asio::awaitable<T> bounded(asio::awaitable<T> op, const Options& opt, const char* what) {
  auto r = co_await mosaik::with_timeout(std::move(op), std::chrono::seconds(opt.timeout_s));
  if (!r) throw std::runtime_error(fmt::format("{}: nothing happened within {} s", what, opt.timeout_s));
  if constexpr (!std::is_void_v<T>) co_return std::move(*r);
}

asio::awaitable<int> run(Options opt) {
  std::optional<mosaik::EndpointAddr> peer;
  if (opt.peer) {
    auto parsed = mosaik::EndpointAddr::parse(*opt.peer);
    if (!parsed) throw std::runtime_error("--peer: " + parsed.error());
    peer = *parsed;
  }
  if (opt.role == "both") {
    // Step 1 twice, in one process: node1 produces, node2 consumes and dials node1.
    auto node1 = co_await start_node(opt, peer);
    auto producer = node1.streams().produce<SensorReading>();
    auto node2 = co_await start_node(opt, node1.local().addr());
    auto consumer = node2.streams().consume<SensorReading>();
    fmt::print("node1 {} (producer), node2 {} (consumer) on network '{}'\n", node1.local().id(),
               node2.local().id(), opt.network);
    // Step 7: connect the nodes (node2 bootstraps from node1; this makes it immediate).
    auto synced = co_await node2.discovery().sync_with(node1.local().addr());
    if (!synced) throw std::runtime_error("sync failed: " + synced.error().message);
    using namespace asio::experimental::awaitable_operators;
    co_await (bounded(produce(producer, opt), opt, "producer") &&
              bounded(consume(consumer, opt), opt, "consumer"));
    co_return 0;
  }
  auto node = co_await start_node(opt, peer);
  if (opt.role == "producer") {
    auto producer = node.streams().produce<SensorReading>();
    fmt::print("producer node {} on network '{}'\n", node.local().id(), opt.network);
    fmt::print("run the consumer with:\n  quickstart --role consumer --peer {}\n", node.local().addr());
    co_await produce(producer, opt);  // waits for a consumer as long as it takes
    co_await bounded(producer.when().unsubscribed(), opt, "producer");  // let it drain
    fmt::print("producer: the consumer left, done\n");
    co_return 0;
  }
  if (opt.role == "consumer") {
    if (!peer) throw std::runtime_error("--role consumer needs --peer <address of the producer>");
    auto consumer = node.streams().consume<SensorReading>();
    fmt::print("consumer node {} on network '{}', dialing {}\n", node.local().id(), opt.network, peer->id);
    co_await bounded(consume(consumer, opt), opt, "consumer");
    co_return 0;
  }
  throw std::runtime_error("--role must be producer, consumer or both");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mosaik quickstart: two nodes exchange typed sensor readings over a stream"};
  Options opt;
  app.add_option("--role", opt.role, "producer, consumer or both (one process)")
      ->envname("MOSAIK_ROLE")
      ->check(CLI::IsMember({"producer", "consumer", "both"}));
  app.add_option("--peer", opt.peer, "address of a node to bootstrap from")->envname("MOSAIK_PEER");
  app.add_option("--network", opt.network, "network name")->envname("MOSAIK_NETWORK");
  app.add_option("--secret", opt.secret, "seed for a stable node identity")->envname("MOSAIK_SECRET");
  app.add_option("--listen", opt.listen, "UDP address to bind (ip:port)")->envname("MOSAIK_LISTEN");
  app.add_option("--count", opt.count, "readings to send / receive")->envname("MOSAIK_COUNT");
  app.add_option("--interval-ms", opt.interval_ms, "pause between readings")->envname("MOSAIK_INTERVAL_MS");
  app.add_option("--timeout", opt.timeout_s, "seconds to wait for each step")->envname("MOSAIK_TIMEOUT");
  CLI11_PARSE(app, argc, argv);
  mosaik::log::init_from_env();
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, also into a pipe or file
  try {
    return mosaik::block_on(run(opt));
  } catch (const std::exception& e) {
    fmt::print(stderr, "quickstart: {}\n", e.what());
    return 1;
  }
}
