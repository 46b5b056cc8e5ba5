// group_member: one member of a key-value group (KvStore, test_consensus()) in a
// process of its own, for tests that SIGKILL and restart members. It binds 127.0.0.1,
// prints "address: <its address>", joins the group, prints "joined", and serves until
// SIGTERM or SIGINT; then it reads its state with a strong query, prints "replica state:
// <commands applied> <applied_digest>" (or "replica state: unknown"), leaves, shuts down and
// exits 0. Its log is in memory: each start is a new member.
//
//   group_member --key HEX [--bootstrap ADDR]
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "group_member_process.hpp"
#include "kv_machine.hpp"
#include "mosaik/mosaik.hpp"
#include "mosaik/network/network.hpp"
#include "test_consensus.hpp"

int main(int argc, char** argv) {
  using namespace mosaik;
  // Blocked before any thread starts, so every thread inherits it and sigwait() gets them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::optional<groups::GroupKey> key;
  std::optional<EndpointAddr> bootstrap;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--key" && i + 1 < argc) {
      auto parsed = groups::GroupKey::from_hex(argv[++i]);
      if (!parsed) return 2;
      key = *parsed;
    } else if (arg == "--bootstrap" && i + 1 < argc) {
      auto parsed = EndpointAddr::parse(argv[++i]);
      if (!parsed) return 2;
      bootstrap = *parsed;
    } else {
      std::fprintf(stderr, "group_member: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  if (!key) {
    std::fprintf(stderr, "group_member: --key is required\n");
    return 2;
  }
  auto node = block_on([](std::optional<EndpointAddr> b) -> asio::awaitable<Network> {
    const std::set<SocketAddr> loopback = {SocketAddr(asio::ip::make_address("127.0.0.1"), 0)};
    // The test process's discovery timing (tests/network/node_fixture.hpp fast_discovery).
    auto discovery = discovery::Config::builder()
                         .with_announce_interval(std::chrono::milliseconds(200))
                         .with_purge_after(std::chrono::seconds(3))
                         .with_sync_timeout(std::chrono::seconds(2))
                         .no_auto_bootstrap();
    if (b) discovery.with_bootstrap(*b);
    auto built = co_await Network::builder(test::kGroupProcessNetwork)
                     .with_addresses(loopback)
                     .with_relay_mode(RelayMode::kDisabled)
                     .with_discovery(std::move(discovery))
                     .build();
    if (!built) throw std::runtime_error("node failed to start: " + built.error().message);
    co_return std::move(*built);
  }(bootstrap));
  std::printf("address: %s\n", node.local().addr().to_string().c_str());
  std::fflush(stdout);
  {
    auto group = node.groups()
                     .with_key(*key)
                     .with_state_machine(test::KvStore{})
                     .with_consensus_config(test::test_consensus())
                     .join();
    std::printf("joined\n");
    std::fflush(stdout);
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    // Everything committed before the signal, as the group agrees on it.
    auto state = block_on([&group]() -> asio::awaitable<std::string> {
      for (int attempt = 0; attempt < 5; ++attempt) {
        (void)co_await with_timeout(group.when().online(), std::chrono::seconds(2));  // a leader to ask
        auto view = co_await group.query(test::KvQuery{0, true}, groups::Consistency::Strong);
        if (view) co_return fmt::format("{} {}", view->result.applied.size(), test::applied_digest(view->result.applied));
      }
      co_return std::string("unknown");
    });
    std::printf("replica state: %s\n", state.c_str());
    std::fflush(stdout);
  }
  return 0;
}
