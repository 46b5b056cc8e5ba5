// group_member: one member of a key-value group (KvStore, test_consensus()) in a
// process of its own, for tests that SIGKILL and restart members. It binds 127.0.0.1,
// prints "address: <its address>", joins the group, prints "joined log_position <n>" (n > 0:
// a log read back from its data dir), and serves until SIGTERM or SIGINT; then it reads its
// state with a strong query, prints "replica state: <commands applied> <applied_digest>" (or
// "replica state: unknown"), leaves, shuts down and exits 0. SIGUSR1 executes --puts Puts
// (each a new value from --value-base on), printing "put <v> committed" for each that
// committed and "puts: <k> committed" at the end; SIGUSR2 prints "applied: <values>" and the
// replica state, and goes on serving. Without --data-dir its log is in memory: each start
// is a new member; with it, the same node (its key is kept there) and member, with its log.
// With --snapshot-interval N the machine is SnapshotKvStore (a snapshot every N indices, the
// log compacted behind them, decision 0411), and SIGUSR2 also prints "snapshot installs: <k>".
//
//   group_member --key HEX [--bootstrap ADDR] [--data-dir DIR] [--secret NAME] [--puts N] [--value-base V]
//                [--snapshot-interval N]
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>

#include "group_member_process.hpp"
#include "kv_machine.hpp"
#include "mosaik/mosaik.hpp"
#include "mosaik/network/network.hpp"
#include "mosaik/primitives/log.hpp"
#include "test_consensus.hpp"

namespace {

using namespace mosaik;

// Joins the group with `machine` and serves the signals until SIGTERM or SIGINT.
template <class M>
void serve(Network& node, const groups::GroupKey& key, M machine, sigset_t stop_signals, int puts,
           std::uint64_t next_value) {
  constexpr bool kSnapshots = std::is_same_v<M, test::SnapshotKvStore>;
  std::shared_ptr<std::atomic<std::uint64_t>> installs;
  if constexpr (kSnapshots) installs = machine.installs;
  auto group = node.groups()
                   .with_key(key)
                   .with_state_machine(std::move(machine))
                   .with_consensus_config(test::test_consensus())
                   .join();
  std::printf("joined log_position %llu\n", static_cast<unsigned long long>(group.log_position().value));
  std::fflush(stdout);
  // Everything committed so far, as the group agrees on it.
  auto replica_state = [&group] {
    return block_on([&group]() -> asio::awaitable<std::string> {
      for (int attempt = 0; attempt < 5; ++attempt) {
        (void)co_await with_timeout(group.when().online(), std::chrono::seconds(2));  // a leader to ask
        auto view = co_await group.query(test::KvQuery{0, true}, groups::Consistency::Strong);
        if (!view) continue;
        std::printf("applied:");  // every value, for a test that checks acknowledged ones survived
        for (auto v : view->result.applied) std::printf(" %llu", static_cast<unsigned long long>(v));
        std::printf("\n");
        co_return fmt::format("{} {}", view->result.applied.size(), test::applied_digest(view->result.applied));
      }
      co_return std::string("unknown");
    });
  };
  int signal_number = 0;
  for (;;) {
    sigwait(&stop_signals, &signal_number);
    if (signal_number == SIGUSR2) {
      if (installs) std::printf("snapshot installs: %llu\n", static_cast<unsigned long long>(installs->load()));
      std::printf("replica state: %s\n", replica_state().c_str());
      std::fflush(stdout);
      continue;
    }
    if (signal_number != SIGUSR1) break;
    const int committed = block_on([&group, puts, &next_value]() -> asio::awaitable<int> {
      int done = 0;
      for (int attempt = 0; attempt < 10 * puts && done < puts; ++attempt) {  // a new value each attempt
        (void)co_await with_timeout(group.when().online(), std::chrono::seconds(2));
        const std::uint64_t value = next_value++;
        auto r = co_await group.execute(test::KvPut{0, value});
        if (!r) continue;
        ++done;
        std::printf("put %llu committed\n", static_cast<unsigned long long>(value));  // acknowledged
        std::fflush(stdout);
      }
      co_return done;
    });
    std::printf("puts: %d committed\n", committed);
    std::fflush(stdout);
  }
  const std::string state = replica_state();
  std::printf("replica state: %s\n", state.c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mosaik;
  // Blocked before any thread starts, so every thread inherits it and sigwait() gets them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGUSR1);
  sigaddset(&stop_signals, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  if (std::getenv("MOSAIK_LOG") != nullptr) mosaik::log::init_from_env();  // e.g. MOSAIK_LOG=groups=debug
  std::optional<groups::GroupKey> key;
  std::optional<EndpointAddr> bootstrap;
  std::optional<std::string> data_dir, secret;
  int puts = 20;
  std::uint64_t next_value = 1;
  std::uint64_t snapshot_interval = 0;  // 0: KvStore, no snapshots
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
    } else if (arg == "--data-dir" && i + 1 < argc) {
      data_dir = argv[++i];
    } else if (arg == "--secret" && i + 1 < argc) {
      secret = argv[++i];
    } else if (arg == "--puts" && i + 1 < argc) {
      puts = std::stoi(argv[++i]);
    } else if (arg == "--value-base" && i + 1 < argc) {
      next_value = std::stoull(argv[++i]);
    } else if (arg == "--snapshot-interval" && i + 1 < argc) {
      snapshot_interval = std::stoull(argv[++i]);
    } else {
      std::fprintf(stderr, "group_member: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  if (!key) {
    std::fprintf(stderr, "group_member: --key is required\n");
    return 2;
  }
  auto node = block_on([](std::optional<EndpointAddr> b, std::optional<std::string> dir,
                          std::optional<std::string> name) -> asio::awaitable<Network> {
    const std::set<SocketAddr> loopback = {SocketAddr(asio::ip::make_address("127.0.0.1"), 0)};
    // The test process's discovery timing (tests/network/node_fixture.hpp fast_discovery).
    auto discovery = discovery::Config::builder()
                         .with_announce_interval(std::chrono::milliseconds(200))
                         .with_purge_after(std::chrono::seconds(3))
                         .with_sync_timeout(std::chrono::seconds(2))
                         .no_auto_bootstrap();
    if (b) discovery.with_bootstrap(*b);
    auto builder = Network::builder(test::kGroupProcessNetwork);
    builder.with_addresses(loopback).with_relay_mode(RelayMode::kDisabled).with_discovery(std::move(discovery));
    if (dir) builder.with_data_dir(*dir);
    if (name) builder.with_secret_key(SecretKey::from_seed(*name));
    auto built = co_await builder.build();
    if (!built) throw std::runtime_error("node failed to start: " + built.error().message);
    co_return std::move(*built);
  }(bootstrap, data_dir, secret));
  std::printf("address: %s\n", node.local().addr().to_string().c_str());
  std::fflush(stdout);
  if (snapshot_interval > 0) {
    test::SnapshotKvStore machine;
    machine.interval = snapshot_interval;
    serve(node, *key, std::move(machine), stop_signals, puts, next_value);
  } else {
    serve(node, *key, test::KvStore{}, stop_signals, puts, next_value);
  }
  return 0;
}
