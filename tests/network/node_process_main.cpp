// node_process: one real node in a process of its own, for tests that kill it (SIGKILL,
// SIGTERM) or attack it and measure what it holds (its RSS is its own). It binds 127.0.0.1,
// prints "address: <its address>", and runs until SIGTERM or SIGINT; then it shuts down and
// exits 0.
//
//   node_process [--secret HEX] [--bootstrap ADDR] [--consume]
//
// By default it produces the stream of `Tick` every 20 ms; with --consume it subscribes to
// it instead. --secret runs it on a given key (a restart on the same identity).
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>

#include "mosaik/mosaik.hpp"
#include "mosaik/network/network.hpp"
#include "node_process.hpp"

int main(int argc, char** argv) {
  using namespace mosaik;
  // Blocked before any thread starts, so every thread inherits it and sigwait() gets them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::optional<SecretKey> key;
  std::optional<EndpointAddr> bootstrap;
  bool consume = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--consume") {
      consume = true;
    } else if (arg == "--secret" && i + 1 < argc) {
      auto parsed = SecretKey::parse(argv[++i]);
      if (!parsed) return 2;
      key = *parsed;
    } else if (arg == "--bootstrap" && i + 1 < argc) {
      auto parsed = EndpointAddr::parse(argv[++i]);
      if (!parsed) return 2;
      bootstrap = *parsed;
    } else {
      std::fprintf(stderr, "node_process: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  auto node = block_on([](std::optional<SecretKey> k, std::optional<EndpointAddr> b) -> asio::awaitable<Network> {
    const std::set<SocketAddr> loopback = {SocketAddr(asio::ip::make_address("127.0.0.1"), 0)};
    auto discovery = discovery::Config::builder().no_auto_bootstrap();
    if (b) discovery.with_bootstrap(*b);
    auto builder = Network::builder(test::kNodeProcessNetwork);
    builder.with_addresses(loopback).with_relay_mode(RelayMode::kDisabled).with_discovery(std::move(discovery));
    if (k) builder.with_secret_key(*k);
    auto built = co_await builder.build();
    if (!built) throw std::runtime_error("node failed to start: " + built.error().message);
    co_return std::move(*built);
  }(key, bootstrap));

  std::optional<streams::Consumer<test::Tick>> consumer;
  std::optional<streams::Producer<test::Tick>> producer;
  if (consume) {
    consumer.emplace(node.streams().consume<test::Tick>());
  } else {
    producer.emplace(node.streams().produce<test::Tick>());
  }
  std::printf("address: %s\n", node.local().addr().to_string().c_str());
  std::fflush(stdout);

  std::atomic<bool> done = false;
  std::thread ticker([&] {
    for (std::uint64_t n = 0; producer && !done; ++n) {
      (void)producer->try_send(test::Tick{n});  // offline until someone subscribes
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // pacing, not synchronisation
    }
  });
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  done = true;
  ticker.join();
  return 0;
}
