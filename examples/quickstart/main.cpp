// quickstart: the seed's Quick Start in C++. Two nodes on one network discover each other
// and stream typed sensor readings from a producer to a consumer.
//
//   quickstart                                   # both nodes in this process (the default)
//   quickstart --role producer                   # prints its address, waits for a consumer
//   quickstart --role consumer --peer <address>  # in a second terminal
//
// Every flag has a MOSAIK_* environment fallback; --help lists them with their defaults.
// Ctrl-C or SIGTERM makes a node leave the network gracefully (its peers see it go at once)
// and exit 0. Restart a producer with the same --secret and its consumers resubscribe.

#include <fmt/format.h>

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/this_coro.hpp>
#include <chrono>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <vector>

#include "mosaik/mosaik.hpp"
#include "mosaik/primitives/async/stop_signals.hpp"
#include "options.hpp"
#include "reports.hpp"
#include "sensor_reading.hpp"

namespace quickstart {
namespace {

using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;

// A failure the user can act on: printed as "quickstart: <what>", exit 1.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::uint64_t unix_seconds() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// One wait bounded by --timeout (0: unbounded): false when it ran out. Callers await it into
// a named bool: g++ 12 miscompiled `if (!co_await within(...))` here (a finished coroutine
// frame was resumed: SIGILL).
asio::awaitable<bool> within(asio::awaitable<void> op, std::chrono::seconds timeout) {
  if (timeout.count() == 0) {
    co_await std::move(op);
    co_return true;
  }
  co_return (co_await mosaik::with_timeout(std::move(op), timeout)).has_value();
}

asio::awaitable<mosaik::Network> start_node(const Options& opt,
                                            std::optional<mosaik::EndpointAddr> bootstrap) {
  auto discovery = mosaik::discovery::Config::builder();
  if (bootstrap) discovery.with_bootstrap(*bootstrap);
  auto builder = mosaik::Network::builder(opt.network);
  builder.with_relay_mode(mosaik::RelayMode::kDisabled).with_discovery(std::move(discovery));
  const std::set<mosaik::SocketAddr> addresses = {opt.listen};
  builder.with_addresses(addresses);
  if (opt.secret) builder.with_secret_key(mosaik::SecretKey::from_seed(*opt.secret));
  auto built = co_await builder.build();
  if (!built) {
    throw Failure(fmt::format("--listen {}:{}: the node failed to start: {}",
                              opt.listen.address().to_string(), opt.listen.port(),
                              built.error().message));
  }
  co_return std::move(*built);
}

// A flow's failure as a value. Asio's `a || b` ends at the first *successful* completion, so
// a failure must become a value to end a race (and to let the nodes still leave gracefully).
asio::awaitable<std::optional<std::string>> failure_of(asio::awaitable<void> flow) {
  try {
    co_await std::move(flow);
  } catch (const std::exception& e) {
    co_return std::string(e.what());
  }
  co_return std::nullopt;
}

// Runs `flow` beside `reports` (which run until cancelled); ends with the flow, failing as it.
asio::awaitable<void> alongside(asio::awaitable<void> flow, asio::awaitable<void> reports) {
  auto outcome = co_await (failure_of(std::move(flow)) || std::move(reports));
  if (outcome.index() == 0) {
    if (auto& failure = std::get<0>(outcome)) throw Failure(*failure);
  }
}

// Steps 3-4: send --count readings (0: until stopped), each once a consumer is subscribed.
asio::awaitable<void> send_readings(mosaik::streams::Producer<SensorReading> producer,
                                    Options opt) {
  for (std::uint64_t i = 0; opt.count == 0 || i < opt.count; ++i) {
    const SensorReading reading{1, 20.0 + static_cast<double>(i % 40) * 0.5, unix_seconds()};
    // send() waits while nobody is subscribed: that wait is bounded by --timeout.
    std::optional<bool> sent;
    auto send = [](mosaik::streams::Producer<SensorReading> p, SensorReading r,
                   std::optional<bool>& out) -> asio::awaitable<void> {
      out = (co_await p.send(r)).has_value();
    };
    const bool in_time = co_await within(send(producer, reading, sent), opt.timeout);
    if (!in_time) {
      throw Failure(
          fmt::format("no consumer subscribed within {} s (--timeout)", opt.timeout.count()));
    }
    if (!*sent) throw Failure("the producer closed");
    fmt::print("producer: sent     sensor {} at {:.1f}°C\n", reading.sensor_id,
               reading.temperature);
    if (opt.interval.count() > 0) co_await mosaik::sleep_for(opt.interval);
  }
}

// Reaches the producer at --peer (a catalog sync), retrying each second until --timeout;
// says once per distinct reason why it cannot.
asio::awaitable<void> reach_producer(mosaik::Network node, mosaik::EndpointAddr peer,
                                     std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last_error;
  for (;;) {  // bounded by the deadline (or unbounded with --timeout 0, by the user's choice)
    std::expected<void, mosaik::discovery::Error> synced;
    if (timeout.count() == 0) {
      synced = co_await node.discovery().sync_with(peer);
    } else {  // each attempt within what is left of --timeout
      const auto left = std::max<std::chrono::steady_clock::duration>(
          deadline - std::chrono::steady_clock::now(), 1ms);
      auto attempt = co_await mosaik::with_timeout(node.discovery().sync_with(peer), left);
      if (attempt) {
        synced = std::move(*attempt);
      } else {
        synced = std::unexpected(
            mosaik::discovery::Error{mosaik::discovery::Error::Kind::kLink, "no answer"});
      }
    }
    if (synced) {
      if (!last_error.empty()) fmt::print("consumer: reached the producer\n");
      co_return;
    }
    if (synced.error().message != last_error) {
      last_error = synced.error().message;
      fmt::print("consumer: cannot reach the producer at {} yet: {}; retrying\n", peer, last_error);
    }
    if (timeout.count() > 0 && std::chrono::steady_clock::now() >= deadline) {
      throw Failure(fmt::format("--peer {}: not reachable within {} s (--timeout): {}", peer,
                                timeout.count(), last_error));
    }
    co_await mosaik::sleep_for(1s);  // pacing between attempts
  }
}

// Steps 5-6: reach the producer, wait for the subscription, then receive --count readings
// (0: until stopped), each within --timeout.
asio::awaitable<void> receive_readings(mosaik::Network node,
                                       mosaik::streams::Consumer<SensorReading> consumer,
                                       Options opt) {
  if (opt.peer) co_await reach_producer(node, *opt.peer, opt.timeout);
  const bool subscribed = co_await within(consumer.when().subscribed().wait(), opt.timeout);
  if (!subscribed) {
    const auto* entry = opt.peer ? node.discovery().catalog().get(opt.peer->id) : nullptr;
    if (entry != nullptr && !entry->streams().contains(consumer.stream_id())) {
      throw Failure(fmt::format("--peer {} does not produce '{}': is it a quickstart producer?",
                                opt.peer->id, SensorReading::stream_name));
    }
    throw Failure(fmt::format("no producer of '{}' accepted a subscription within {} s (--timeout)",
                              SensorReading::stream_name, opt.timeout.count()));
  }
  std::uint64_t received = 0;
  for (; opt.count == 0 || received < opt.count; ++received) {
    std::optional<SensorReading> reading;
    auto next = [](mosaik::streams::Consumer<SensorReading> c,
                   std::optional<SensorReading>& out) -> asio::awaitable<void> {
      out = co_await c.recv();
    };
    const bool in_time = co_await within(next(consumer, reading), opt.timeout);
    if (!in_time) {
      // Typically a consumer that joined late: a producer sends each reading once, to the
      // consumers subscribed at that moment.
      throw Failure(fmt::format(
          "no reading for {} s (--timeout) after {} of {}: the producer sends each reading once, "
          "to the consumers subscribed at the time; has it finished? (--count 0 keeps it sending)",
          opt.timeout.count(), received,
          opt.count == 0 ? std::string("unlimited") : std::to_string(opt.count)));
    }
    if (!reading) throw Failure("the consumer closed");
    fmt::print("consumer: received sensor {} at {:.1f}°C\n", reading->sensor_id,
               reading->temperature);
  }
  fmt::print("consumer: received all {} readings; {}\n", received, consumer.stats());
}

// The producer's side: send, then wait for the consumers to take the last reading and leave.
asio::awaitable<void> produce(mosaik::streams::Producer<SensorReading> producer, Options opt) {
  co_await send_readings(producer, opt);
  fmt::print("producer: sent all {} readings; waiting for the consumers to leave\n", opt.count);
  const bool left = co_await within(producer.when().unsubscribed(), opt.timeout);
  if (!left) {
    throw Failure(fmt::format("consumers still subscribed {} s after the last reading (--timeout)",
                              opt.timeout.count()));
  }
  fmt::print("producer: the consumers left, done\n");
}

asio::awaitable<void> run_producer(mosaik::Network node, Options opt) {
  auto producer = node.streams().produce<SensorReading>();
  fmt::print("producer node {} on network '{}'\n", node.local().id(), opt.network);
  fmt::print("run the consumer with:\n  quickstart --role consumer --peer {}\n",
             node.local().addr());
  co_await alongside(produce(producer, opt),
                     report_consumers(producer) && report_departures(node, "producer"));
}

// Once the producer at --peer has left, dials it each second until it is back (restarted
// with the same --secret, at the same address): its consumer then resubscribes at once.
// Without this, a node whose only contact left rediscovers it at its next announce interval.
asio::awaitable<void> rejoin_producer(mosaik::Network node, mosaik::EndpointAddr peer) {
  auto events = node.discovery().events();
  for (;;) {
    auto ev = co_await events.recv();
    if (!ev) {
      if (std::holds_alternative<mosaik::BroadcastClosed>(ev.error())) co_return;  // node down
      continue;
    }
    const auto* gone = std::get_if<mosaik::discovery::PeerDeparted>(&*ev);
    if (gone == nullptr || gone->peer_id != peer.id) continue;
    for (;;) {                         // until it answers; ends with the program
      co_await mosaik::sleep_for(1s);  // pacing between attempts
      if (co_await node.discovery().sync_with(peer)) break;
    }
    fmt::print("consumer: the producer at {} is back\n", peer);
  }
}

asio::awaitable<void> run_consumer(mosaik::Network node, Options opt) {
  auto consumer = node.streams().consume<SensorReading>();
  fmt::print("consumer node {} on network '{}', producer at {}\n", node.local().id(), opt.network,
             *opt.peer);
  co_await alongside(receive_readings(node, consumer, opt),
                     report_subscriptions(consumer) && report_departures(node, "consumer") &&
                         rejoin_producer(node, *opt.peer));
}

// Both nodes in this process: node2 bootstraps from node1, and step 7 (sync_with) makes
// their first contact immediate.
asio::awaitable<void> run_both(mosaik::Network node1, mosaik::Network node2, Options opt) {
  auto producer = node1.streams().produce<SensorReading>();
  auto consumer = node2.streams().consume<SensorReading>();
  fmt::print("node1 {} (producer), node2 {} (consumer) on network '{}'\n", node1.local().id(),
             node2.local().id(), opt.network);
  auto synced = co_await node2.discovery().sync_with(node1.local().addr());
  if (!synced) throw Failure("node2 could not sync with node1: " + synced.error().message);
  Options consumer_opt = opt;
  consumer_opt.peer.reset();  // already reached
  co_await (send_readings(producer, opt) && receive_readings(node2, consumer, consumer_opt));
}

const char* signal_name(int signal) {
  return signal == SIGINT ? "SIGINT" : "SIGTERM";
}

asio::awaitable<int> run(Options opt) {
  // First: from here on SIGINT and SIGTERM no longer kill the process.
  mosaik::StopSignals stop(co_await asio::this_coro::executor);
  std::vector<mosaik::Network> nodes;
  nodes.push_back(co_await start_node(opt, opt.peer));
  std::optional<asio::awaitable<void>> flow;
  if (opt.role == "both") {
    nodes.push_back(co_await start_node(opt, nodes[0].local().addr()));
    flow.emplace(run_both(nodes[0], nodes[1], opt));
  } else if (opt.role == "producer") {
    flow.emplace(run_producer(nodes[0], opt));
  } else {
    flow.emplace(run_consumer(nodes[0], opt));
  }
  auto outcome = co_await (failure_of(std::move(*flow)) || stop.wait());
  std::optional<std::string> failure;
  if (outcome.index() == 1) {
    fmt::print("quickstart: {} received, leaving the network\n", signal_name(std::get<1>(outcome)));
  } else {
    failure = std::get<0>(std::move(outcome));
  }
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) co_await it->shutdown();
  if (failure) {
    fmt::print(stderr, "quickstart: {}\n", *failure);
    co_return 1;
  }
  fmt::print("quickstart: left the network\n");
  co_return 0;
}

}  // namespace
}  // namespace quickstart

int main(int argc, char** argv) {
  auto parsed = quickstart::parse_options(argc, argv);
  if (const int* exit_code = std::get_if<int>(&parsed)) return *exit_code;
  mosaik::log::init_from_env();
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, also into a pipe or file
  try {
    return mosaik::block_on(quickstart::run(std::get<quickstart::Options>(std::move(parsed))));
  } catch (const std::exception& e) {
    fmt::print(stderr, "quickstart: {}\n", e.what());
    return 1;
  }
}
