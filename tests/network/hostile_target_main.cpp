// hostile_target: one real node in a process of its own, for tests that attack it from
// outside and measure what it holds (its RSS is its own, not the attacker's). It binds
// 127.0.0.1, produces the stream of `Tick` every 20 ms, prints its address as the first line
// of stdout, and runs until its stdin closes; then it shuts down and exits 0.
#include <atomic>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include "hostile_target.hpp"
#include "mosaik/mosaik.hpp"
#include "mosaik/network/network.hpp"

int main() {
  using namespace mosaik;
  auto node = block_on([]() -> asio::awaitable<Network> {
    const std::set<SocketAddr> loopback = {SocketAddr(asio::ip::make_address("127.0.0.1"), 0)};
    auto builder = Network::builder(test::kHostileNetwork);
    builder.with_addresses(loopback)
        .with_relay_mode(RelayMode::kDisabled)
        .with_discovery(discovery::Config::builder().no_auto_bootstrap());
    auto built = co_await builder.build();
    if (!built) throw std::runtime_error("node failed to start: " + built.error().message);
    co_return std::move(*built);
  }());
  auto producer = node.streams().produce<test::Tick>();
  std::printf("%s\n", node.local().addr().to_string().c_str());
  std::fflush(stdout);

  std::atomic<bool> done = false;
  std::thread ticker([&] {
    for (std::uint64_t n = 0; !done; ++n) {
      (void)producer.try_send(test::Tick{n});  // offline until someone subscribes
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // pacing, not synchronisation
    }
  });
  for (std::string line; std::getline(std::cin, line);) {
  }
  done = true;
  ticker.join();
  return 0;
}
