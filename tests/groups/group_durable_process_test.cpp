// Durable groups with real OS processes (tests/groups/group_member_main.cpp --data-dir):
// three members, each with an LMDB log in a data dir of its own. A member SIGKILLed and
// restarted comes back with its log and catches up; all three SIGKILLed at once and restarted
// still hold every committed command (decision 0410). With logs in memory the restarted
// group would be a new one, empty, and the counts would not match.
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "group_fixture.hpp"
#include "group_member_process.hpp"
#include "mosaik/primitives/async/block_on.hpp"
#include "node_process_child.hpp"
#include "support/child_process.hpp"
#include "support/co_assert.hpp"
#include "support/temp_dir.hpp"

namespace mosaik::test {
namespace group_durable_process_test {
namespace {

namespace fs = std::filesystem;
constexpr int kPutsPerRound = 20;

struct DurableMember {
  std::unique_ptr<ChildProcess> process;
  PeerId id;
  std::uint64_t log_position = 0;  // what it read back from its data dir at the join
};

// Member `i` of the test: its own data dir (which keeps its secret key, hence its PeerId),
// a distinct value range per start.
// `snapshot_interval` > 0: the SnapshotKvStore machine, its log compacted behind snapshots.
asio::awaitable<DurableMember> start_durable(const groups::GroupKey& key, const Network& bootstrap,
                                             const fs::path& dir, int i, int start,
                                             std::uint64_t snapshot_interval = 0) {
  auto ex = co_await asio::this_coro::executor;
  std::vector<std::string> args{"--key",        key.expose_secret_hex(),
                                "--bootstrap",  bootstrap.local().addr().to_string(),
                                "--data-dir",   (dir / fmt::format("member-{}", i)).string(),
                                "--puts",       std::to_string(kPutsPerRound),
                                "--value-base", std::to_string(100'000'000ull * static_cast<std::uint64_t>(start + 1) +
                                                               1'000'000ull * static_cast<std::uint64_t>(i))};
  if (snapshot_interval > 0) {
    args.push_back("--snapshot-interval");
    args.push_back(std::to_string(snapshot_interval));
  }
  auto process = std::make_unique<ChildProcess>(ChildProcess::spawn(ex, MOSAIK_GROUP_MEMBER, args));
  const auto addr = co_await node_process_address(*process);
  const auto joined = co_await process->until_line("joined log_position ", 20);
  const auto position = std::stoull(joined.substr(joined.find("log_position ") + 13));
  co_return DurableMember{std::move(process), addr.id, position};
}

// On a failure, every member's output (its log with MOSAIK_LOG=groups=debug), not only the
// output of the one that timed out.
struct DumpOnFailure {
  std::vector<DurableMember>& members;
  ~DumpOnFailure() {
    if (!::testing::Test::HasFailure() && std::uncaught_exceptions() == 0) return;
    for (const auto& m : members) std::printf("---- member %s\n%s\n", m.id.to_string().c_str(), m.process->output().c_str());
  }
};

asio::awaitable<std::string> replica_state(DurableMember& m) {
  m.process->signal(SIGUSR2);
  const auto line = co_await m.process->until_line("replica state: ", 20);
  EXPECT_EQ(line.find("unknown"), std::string::npos) << m.process->output();
  co_return line.substr(line.find("replica state: ") + 15);
}

asio::awaitable<int> puts_round(DurableMember& m) {
  m.process->signal(SIGUSR1);
  const auto line = co_await m.process->until_line("puts: ", 40);
  co_return std::stoi(line.substr(line.find("puts: ") + 6));
}

asio::awaitable<void> kill(DurableMember& m) {
  m.process->signal(SIGKILL);
  EXPECT_EQ(co_await m.process->exit_code(10), -SIGKILL);
}

TEST(GroupDurableProcess, members_killed_and_restarted_come_back_with_their_logs_and_lose_no_commit) {
  block_on([]() -> asio::awaitable<void> {
    TempDir dir;
    auto node = co_await make_node(kGroupProcessNetwork, fast_discovery());  // discovery only, no member
    const auto key = groups::GroupKey::generate();
    std::vector<DurableMember> members;
    DumpOnFailure dump{members};
    for (int i = 0; i < 3; ++i) members.push_back(co_await start_durable(key, node, dir.path(), i, 0));
    for (const auto& m : members) EXPECT_EQ(m.log_position, 0u) << "a fresh data dir holds no log";
    CO_ASSERT_TRUE(co_await puts_round(members[0]) == kPutsPerRound);
    // A strong read on the member to kill: it holds the commands (and so its log) first.
    const auto first_round = co_await replica_state(members[2]);
    EXPECT_EQ(first_round.substr(0, first_round.find(' ')), std::to_string(kPutsPerRound)) << first_round;

    // One member killed and restarted: the same PeerId, its log read back, then caught up.
    const PeerId killed = members[2].id;
    co_await kill(members[2]);
    members[2] = co_await start_durable(key, node, dir.path(), 2, 1);  // at once: the others still hold its dead process
    EXPECT_EQ(members[2].id, killed);
    EXPECT_GT(members[2].log_position, static_cast<std::uint64_t>(kPutsPerRound)) << "the restarted member did not read its log back";
    CO_ASSERT_TRUE(co_await puts_round(members[1]) == kPutsPerRound);
    const auto before = co_await replica_state(members[2]);  // a strong read: it caught up
    EXPECT_EQ(before.substr(0, before.find(' ')), std::to_string(2 * kPutsPerRound)) << before;

    // All three killed at once: every committed command survives.
    for (auto& m : members) co_await kill(m);
    for (int i = 0; i < 3; ++i) members[static_cast<std::size_t>(i)] = co_await start_durable(key, node, dir.path(), i, 2);
    for (const auto& m : members) EXPECT_GT(m.log_position, 0u);
    EXPECT_EQ(co_await replica_state(members[0]), before);
    CO_ASSERT_TRUE(co_await puts_round(members[2]) == kPutsPerRound);
    const auto after = co_await replica_state(members[1]);
    EXPECT_EQ(after.substr(0, after.find(' ')), std::to_string(3 * kPutsPerRound)) << after;
    for (auto& m : members) EXPECT_EQ(co_await replica_state(m), after) << "replicas disagree";
    for (auto& m : members) m.process->signal(SIGTERM);  // all at once: a lone last member has no quorum to read from
    for (auto& m : members) EXPECT_EQ(co_await m.process->exit_code(30), 0);
  });
}

// The puts acknowledged to their clients: the values members printed as "put <v> committed",
// in the order they were acknowledged (each member's output in its order; rounds one after
// another, and no put starts before the previous one returned).
struct Acknowledged {
  std::set<std::uint64_t> values;
  std::vector<std::uint64_t> in_order;
};

void collect_acknowledged(const std::string& output, Acknowledged& acked) {
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    const auto at = line.find("put ");
    if (at == std::string::npos || line.find(" committed", at) == std::string::npos) continue;
    const auto value = std::stoull(line.substr(at + 4));
    if (acked.values.insert(value).second) acked.in_order.push_back(value);
  }
}

// Linearizability of this history: one client at a time appends to one log, each put
// invoked after the previous one returned, so the acknowledged puts must stand in the log
// once each, in the order they were acknowledged; puts whose client died unanswered may
// stand anywhere after their invocation, or nowhere; no put may stand twice.
std::string unlinearizable(const std::vector<std::uint64_t>& log, const Acknowledged& acked) {
  std::set<std::uint64_t> seen;
  std::vector<std::uint64_t> acked_in_log;
  for (auto v : log) {
    if (!seen.insert(v).second) return fmt::format("put {} applied twice", v);
    if (acked.values.contains(v)) acked_in_log.push_back(v);
  }
  if (acked_in_log == acked.in_order) return "";
  for (auto v : acked.in_order) {
    if (std::find(acked_in_log.begin(), acked_in_log.end(), v) == acked_in_log.end()) {
      return fmt::format("acknowledged put {} lost", v);
    }
  }
  return fmt::format("acknowledged puts stand in the log out of their order: log {} vs acknowledged {}",
                     fmt::join(acked_in_log, ","), fmt::join(acked.in_order, ","));
}

// Every value the member's state machine applied, read with a strong query.
asio::awaitable<std::vector<std::uint64_t>> applied_values(DurableMember& m) {
  m.process->signal(SIGUSR2);
  const auto line = co_await m.process->until_line("applied:", 20);
  (void)co_await m.process->until_line("replica state: ", 20);
  std::istringstream values(line.substr(line.find("applied:") + 8));
  std::vector<std::uint64_t> out;
  for (std::uint64_t v = 0; values >> v;) out.push_back(v);
  co_return out;
}

// The crash test: while one member executes puts, a random member, or all three at
// once, is SIGKILLed after a random number of acknowledged puts, then restarted; every put
// acknowledged so far must be in the restarted group's log, and at the end every replica
// holds the same commands. Members restart at once, while the others still hold the dead
// process's connections (a restart on the same key and a new port). Three rounds by default;
// MOSAIK_CRASH_ROUNDS=50 for the count, MOSAIK_CRASH_SEED to rerun one.
TEST(GroupDurableProcess, acknowledged_puts_survive_sigkill_of_any_member_or_of_all_at_random_points) {
  const char* rounds_env = std::getenv("MOSAIK_CRASH_ROUNDS");
  const int rounds = rounds_env != nullptr ? std::atoi(rounds_env) : 3;
  const char* seed_env = std::getenv("MOSAIK_CRASH_SEED");
  const std::uint64_t seed = seed_env ? std::stoull(seed_env) : std::random_device{}();
  std::printf("MOSAIK_CRASH_SEED=%llu, %d rounds\n", static_cast<unsigned long long>(seed), rounds);
  block_on([rounds, seed]() -> asio::awaitable<void> {
    std::mt19937_64 rng(seed);
    TempDir dir;
    auto node = co_await make_node(kGroupProcessNetwork, fast_discovery());
    const auto key = groups::GroupKey::generate();
    std::vector<DurableMember> members;
    std::vector<int> starts(3, 0);
    DumpOnFailure dump{members};
    for (int i = 0; i < 3; ++i) members.push_back(co_await start_durable(key, node, dir.path(), i, 0));
    Acknowledged acked;
    int whole_cluster_kills = 0;
    for (int round = 0; round < rounds; ++round) {
      const auto putter = static_cast<std::size_t>(rng() % 3);
      members[putter].process->signal(SIGUSR1);
      const auto acks_before_kill = 1 + rng() % (kPutsPerRound / 2);
      for (std::uint64_t k = 0; k < acks_before_kill; ++k) (void)co_await members[putter].process->until_line("put ", 30);
      std::vector<std::size_t> victims;
      if (rng() % 4 == 0) {
        victims = {0, 1, 2};
        ++whole_cluster_kills;
      } else {
        victims = {static_cast<std::size_t>(rng() % 3)};
      }
      for (auto v : victims) {
        co_await kill(members[v]);
        collect_acknowledged(members[v].process->output(), acked);
      }
      if (std::find(victims.begin(), victims.end(), putter) == victims.end()) {
        (void)co_await members[putter].process->until_line("puts: ", 60);  // its round ends
        collect_acknowledged(members[putter].process->output(), acked);
      }
      for (auto v : victims) {
        const int i = static_cast<int>(v);
        members[v] = co_await start_durable(key, node, dir.path(), i, ++starts[v]);
        EXPECT_GT(members[v].log_position, 0u) << "round " << round << ": member " << i << " lost its log";
      }
      const auto applied = co_await applied_values(members[victims.front()]);
      EXPECT_EQ(unlinearizable(applied, acked), "") << "round " << round;
    }
    const auto reference = co_await applied_values(members[0]);
    for (std::size_t i = 1; i < 3; ++i) EXPECT_EQ(co_await applied_values(members[i]), reference) << "replicas disagree";
    std::printf("%d rounds (%d whole-cluster kills): %zu puts acknowledged, %zu in the log\n", rounds,
                whole_cluster_kills, acked.values.size(), reference.size());
    for (auto& m : members) m.process->signal(SIGTERM);
    for (auto& m : members) EXPECT_EQ(co_await m.process->exit_code(30), 0);
  });
}


// How many snapshots the member installed, as it printed on the last SIGUSR2.
std::uint64_t snapshot_installs(const DurableMember& m) {
  const auto& out = m.process->output();
  const auto at = out.rfind("snapshot installs: ");
  return at == std::string::npos ? 0 : std::stoull(out.substr(at + 19));
}

// A SnapshotSync group (decision 0411): after a few rounds its logs are compacted behind
// snapshots on disk. All three SIGKILLed at once and restarted, each member starts from its
// own snapshot file and replays its log after it: every acknowledged put is there, and the
// replicas agree. Without the snapshot files a compacted log could not rebuild the state:
// the three would come back as new members of an empty group.
TEST(GroupDurableProcess, a_compacted_group_killed_whole_comes_back_from_its_snapshots_with_every_acknowledged_put) {
  block_on([]() -> asio::awaitable<void> {
    constexpr std::uint64_t kInterval = 8;
    TempDir dir;
    auto node = co_await make_node(kGroupProcessNetwork, fast_discovery());
    const auto key = groups::GroupKey::generate();
    std::vector<DurableMember> members;
    DumpOnFailure dump{members};
    for (int i = 0; i < 3; ++i) members.push_back(co_await start_durable(key, node, dir.path(), i, 0, kInterval));
    Acknowledged acked;
    for (std::size_t round = 0; round < 3; ++round) {
      CO_ASSERT_TRUE(co_await puts_round(members[round]) == kPutsPerRound);
      collect_acknowledged(members[round].process->output(), acked);
    }
    // Every member applied them all (strong reads), so each took several snapshots.
    for (auto& m : members) (void)co_await applied_values(m);
    for (auto& m : members) co_await kill(m);
    for (int i = 0; i < 3; ++i) {
      const auto snapshots = dir.path() / fmt::format("member-{}", i) / "groups" / "snapshots";
      std::size_t files = 0;
      for (const auto& group : fs::directory_iterator(snapshots))
        for (const auto& f : fs::directory_iterator(group.path())) files += f.path().extension() == ".snap";
      EXPECT_EQ(files, 1u) << "member " << i << " keeps its newest snapshot only";
    }

    for (int i = 0; i < 3; ++i)
      members[static_cast<std::size_t>(i)] = co_await start_durable(key, node, dir.path(), i, 1, kInterval);
    const auto reference = co_await applied_values(members[0]);
    EXPECT_EQ(unlinearizable(reference, acked), "");
    EXPECT_EQ(acked.values.size(), 3u * kPutsPerRound);
    for (std::size_t i = 1; i < 3; ++i) EXPECT_EQ(co_await applied_values(members[i]), reference) << "replicas disagree";
    for (const auto& m : members) EXPECT_EQ(snapshot_installs(m), 1u) << "not started from its own snapshot file";
    for (auto& m : members) m.process->signal(SIGTERM);
    for (auto& m : members) EXPECT_EQ(co_await m.process->exit_code(30), 0);
  });
}

}  // namespace
}  // namespace group_durable_process_test
}  // namespace mosaik::test
