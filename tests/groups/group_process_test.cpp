// Members as separate OS processes (tests/groups/group_member_main.cpp), SIGKILLed and
// restarted while clients run. The test process holds two more members (two nodes) with
// deprioritized leadership, so a child process leads; its clients execute Puts and strong
// Gets on a few keys through both (forwarded to the leader) and the history they record is
// checked with the simulator's linearizability checker. Two client-side members, so that a
// read served from one member's stale state after a write returned through the other would
// show in the history. A restarted process is a new member (its log was in memory): the
// leader adds it and, after member_timeout, removes the killed one.
//
// Outcomes: a Put that execute() reports committed returned; one that failed with Timeout
// (or outlived the client's bound) has an unknown outcome (a forward that timed out, a
// pending commit whose leader died), so it stays open in the history; one that failed with
// Offline certainly had no effect (decision 0406: the test checks it never reached the log),
// and neither had a Get that failed: both are dropped.
#include <gtest/gtest.h>

#include <asio/experimental/awaitable_operators.hpp>

#include <csignal>
#include <memory>
#include <random>
#include <set>

#include "group_fixture.hpp"
#include "group_member_process.hpp"
#include "kv_machine.hpp"
#include "linearizability.hpp"
#include "mosaik/primitives/async/block_on.hpp"
#include "node_process_child.hpp"
#include "support/child_process.hpp"
#include "support/co_assert.hpp"

namespace mosaik::test {
namespace group_process_test {
namespace {

using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;
using Kind = sim::History::Kind;

constexpr std::uint8_t kKeys = 3;
constexpr int kClients = 4;
constexpr int kKills = 3;

struct Counts {
  std::size_t puts_committed = 0, puts_offline = 0, puts_unknown = 0, puts_timed_out = 0;
  std::size_t gets_answered = 0, gets_failed = 0;
  std::size_t committed_since_last_restart = 0;
};

// One member process, with what it printed at start.
struct Member {
  std::unique_ptr<ChildProcess> process;
  PeerId id;
};

asio::awaitable<Member> start_member(const groups::GroupKey& key, const Network& bootstrap) {
  auto ex = co_await asio::this_coro::executor;
  std::vector<std::string> args{"--key", key.expose_secret_hex(), "--bootstrap", bootstrap.local().addr().to_string()};
  auto process = std::make_unique<ChildProcess>(ChildProcess::spawn(ex, MOSAIK_GROUP_MEMBER, args));
  const auto addr = co_await node_process_address(*process);
  (void)co_await process->until_line("joined", 20);
  co_return Member{std::move(process), addr.id};
}

asio::awaitable<void> until_bonds(const groups::Group<KvStore>& member, std::size_t bonds, double seconds) {
  auto watch = member.status_watch();
  (void)co_await timeout_s(seconds, watch.wait_until([bonds](const groups::Status& s) { return s.bonds == bonds; }));
}

TEST(GroupProcess, clients_stay_linearizable_while_member_processes_are_killed_and_restarted) {
  block_on([]() -> asio::awaitable<void> {
    const auto started = std::chrono::steady_clock::now();
    auto node = co_await make_node(kGroupProcessNetwork, fast_discovery());
    auto second_node = co_await make_node(kGroupProcessNetwork, fast_discovery().with_bootstrap(node.local().addr()));
    const auto key = groups::GroupKey::generate();
    std::vector<Member> members;
    for (int i = 0; i < 3; ++i) members.push_back(co_await start_member(key, node));
    auto client_member = [&](const Network& n) {
      return n.groups()
          .with_key(key)
          .with_state_machine(KvStore{})
          .with_consensus_config(test_consensus().deprioritize_leadership())
          .join();
    };
    // Each is bonded with the three processes and with the other.
    std::vector<groups::Group<KvStore>> via{client_member(node), client_member(second_node)};
    for (auto& g : via) co_await until_bonds(g, 4, 20);
    for (auto& g : via) (void)co_await timeout_s(20, g.when().leader_elected());
    auto& group = via[0];

    sim::History history;
    Counts counts;
    std::vector<std::uint64_t> unknown_values;  // Puts whose outcome is unknown
    std::vector<std::uint64_t> offline_values;  // Puts that failed with Offline: never committed
    std::uint64_t next_value = 1;
    bool stop = false;
    std::mt19937_64 rng(std::random_device{}());

    auto client = [&](int id) -> asio::awaitable<void> {
      std::mt19937_64 mine(rng() + static_cast<std::uint64_t>(id));
      const auto& member = via[static_cast<std::size_t>(id) % 2];  // clients 0, 2 here; 1, 3 there
      for (int n = 0; n < 100'000 && !stop; ++n) {
        const auto k = static_cast<std::uint8_t>(mine() % kKeys);
        if (mine() % 2 == 0) {
          const KvPut put{k, next_value++};
          const auto op = history.invoke(k, Kind::Put, put.value);
          auto r = co_await with_timeout(member.execute(put), 5s);
          if (r && r->has_value()) {
            history.complete(op, 0);
            ++counts.puts_committed;
            ++counts.committed_since_last_restart;
          } else if (r && r->error().is_offline()) {
            history.discard(op);  // certainly not committed
            ++counts.puts_offline;
            offline_values.push_back(put.value);
          } else {
            // Timeout (or no answer within the client's bound): it may have committed.
            (r ? counts.puts_unknown : counts.puts_timed_out) += 1;
            if (r) CO_ASSERT_TRUE(r->error().is_timeout());
            unknown_values.push_back(put.value);
          }
        } else {
          const auto op = history.invoke(k, Kind::Get, 0);
          auto r = co_await with_timeout(member.query(KvQuery{k, false}, groups::Consistency::Strong), 5s);
          if (r && r->has_value()) {
            history.complete(op, (*r)->result.value);
            ++counts.gets_answered;
          } else {
            history.discard(op);
            ++counts.gets_failed;
          }
        }
      }
    };

    std::vector<double> restart_ms;
    auto nemesis = [&]() -> asio::awaitable<void> {
      std::mt19937_64 pick(rng());
      for (int round = 0; round < kKills; ++round) {
        co_await pause(round == 0 ? 1500ms : 2500ms);  // >= member_timeout: the last victim is removed by now
        // The leader in rounds 0 and 2, another member in round 1.
        const auto leader = group.leader();
        std::size_t victim = pick() % members.size();
        for (std::size_t i = 0; i < members.size(); ++i) {
          const bool is_leader = leader && members[i].id == *leader;
          if (is_leader == (round != 1)) victim = i;
        }
        std::printf("round %d: SIGKILL member %zu%s\n", round, victim,
                    leader && members[victim].id == *leader ? " (the leader)" : "");
        const auto t0 = std::chrono::steady_clock::now();
        members[victim].process->signal(SIGKILL);
        const int killed = co_await members[victim].process->exit_code(5);
        EXPECT_EQ(killed, -SIGKILL);
        for (auto& g : via) co_await until_bonds(g, 3, 5);
        members[victim] = co_await start_member(key, node);
        for (auto& g : via) co_await until_bonds(g, 4, 15);
        counts.committed_since_last_restart = 0;
        restart_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      }
      co_await pause(2500ms);  // clients keep going with the last replacement in the group
      stop = true;
    };

    auto clients = [&]() -> asio::awaitable<void> {
      co_await ((client(0) && client(1)) && (client(2) && client(3)));
    };
    co_await (clients() && nemesis());

    // Progress: the group committed after the last restart.
    EXPECT_GT(counts.committed_since_last_restart, 0u);
    const auto result = sim::check_linearizable(history);
    EXPECT_TRUE(result.ok) << (result.inconclusive ? "inconclusive: " : "not linearizable: ") << result.detail;

    // Every replica holds the same commands: both of ours and the three processes' (each
    // reads with a strong query on SIGTERM and prints it).
    const KvPut last{0, next_value++};
    // The last replacement may still be settling in: an Offline answer is retried.
    auto index = co_await retrying_offline(group, [&] { return group.execute(last); });
    CO_ASSERT_TRUE(index.has_value());
    auto mine = co_await retrying_offline(
        group, [&] { return group.query(KvQuery{0, true}, groups::Consistency::Strong); });
    CO_ASSERT_TRUE(mine.has_value());
    const auto& applied = mine->result.applied;
    auto other = co_await retrying_offline(
        via[1], [&] { return via[1].query(KvQuery{0, true}, groups::Consistency::Strong); });
    CO_ASSERT_TRUE(other.has_value());
    EXPECT_EQ(other->result.applied, applied);
    const auto expected = fmt::format("replica state: {} {}", applied.size(), applied_digest(applied));
    for (auto& m : members) {
      m.process->signal(SIGTERM);
      const auto line = co_await m.process->until_line("replica state: ", 15);
      EXPECT_NE(line.find(expected), std::string::npos) << "a member process holds " << line << ", this one " << expected;
      const int code = co_await m.process->exit_code(10);
      EXPECT_EQ(code, 0);
    }
    const std::set<std::uint64_t> in_log(applied.begin(), applied.end());
    EXPECT_EQ(in_log.size(), applied.size()) << "a command was applied twice";
    std::size_t unknown_but_committed = 0;
    for (auto v : unknown_values) unknown_but_committed += in_log.contains(v) ? 1 : 0;
    for (auto v : offline_values) EXPECT_FALSE(in_log.contains(v)) << "a Put that failed with Offline committed: " << v;

    std::printf(
        "history: %zu operations; puts committed %zu, offline %zu, outcome unknown %zu (of which %zu "
        "committed after all), timed out %zu; strong gets answered %zu, failed %zu\n",
        history.ops().size(), counts.puts_committed, counts.puts_offline, counts.puts_unknown, unknown_but_committed,
        counts.puts_timed_out, counts.gets_answered, counts.gets_failed);
    for (double ms : restart_ms) std::printf("kill to replacement bonded: %.0f ms\n", ms);
    std::printf("whole test: %.1f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  });
}

}  // namespace
}  // namespace group_process_test
}  // namespace mosaik::test
