// Durable groups with real OS processes (tests/groups/group_member_main.cpp --data-dir):
// three members, each with an LMDB log in a data dir of its own. A member SIGKILLed and
// restarted comes back with its log and catches up; all three SIGKILLed at once and restarted
// still hold every committed command (decision 0410). With logs in memory the restarted
// group would be a new one, empty, and the counts would not match.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <memory>

#include "group_fixture.hpp"
#include "group_member_process.hpp"
#include "mosaik/primitives/async/block_on.hpp"
#include "node_process_child.hpp"
#include "support/child_process.hpp"
#include "support/co_assert.hpp"

namespace mosaik::test {
namespace {

namespace fs = std::filesystem;
constexpr int kPutsPerRound = 20;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "mosaik-durable-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct DurableMember {
  std::unique_ptr<ChildProcess> process;
  PeerId id;
  std::uint64_t log_position = 0;  // what it read back from its data dir at the join
};

// Member `i` of the test: its own data dir and a fixed secret, a distinct value range per start.
asio::awaitable<DurableMember> start_durable(const groups::GroupKey& key, const Network& bootstrap,
                                             const fs::path& dir, int i, int start) {
  auto ex = co_await asio::this_coro::executor;
  std::vector<std::string> args{"--key",        key.expose_secret_hex(),
                                "--bootstrap",  bootstrap.local().addr().to_string(),
                                "--data-dir",   (dir / fmt::format("member-{}", i)).string(),
                                "--secret",     fmt::format("durable-member-{}", i),
                                "--puts",       std::to_string(kPutsPerRound),
                                "--value-base", std::to_string(1'000'000 * (start + 1) + 10'000 * i)};
  auto process = std::make_unique<ChildProcess>(ChildProcess::spawn(ex, MOSAIK_GROUP_MEMBER, args));
  const auto addr = co_await node_process_address(*process);
  const auto joined = co_await process->until_line("joined log_position ", 20);
  const auto position = std::stoull(joined.substr(joined.find("log_position ") + 13));
  co_return DurableMember{std::move(process), addr.id, position};
}

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
    // On a failure, every member's output (its log with MOSAIK_LOG=groups=debug), not only the one that timed out.
    struct DumpOnFailure {
      std::vector<DurableMember>& members;
      ~DumpOnFailure() {
        if (!::testing::Test::HasFailure() && std::uncaught_exceptions() == 0) return;
        for (const auto& m : members) std::printf("---- member %s\n%s\n", m.id.to_string().c_str(), m.process->output().c_str());
      }
    } dump{members};
    for (int i = 0; i < 3; ++i) members.push_back(co_await start_durable(key, node, dir.path(), i, 0));
    for (const auto& m : members) EXPECT_EQ(m.log_position, 0u) << "a fresh data dir holds no log";
    CO_ASSERT_TRUE(co_await puts_round(members[0]) == kPutsPerRound);
    // A strong read on the member to kill: it holds the commands (and so its log) first.
    const auto first_round = co_await replica_state(members[2]);
    EXPECT_EQ(first_round.substr(0, first_round.find(' ')), std::to_string(kPutsPerRound)) << first_round;

    // One member killed and restarted: the same PeerId, its log read back, then caught up.
    const PeerId killed = members[2].id;
    co_await kill(members[2]);
    members[2] = co_await start_durable(key, node, dir.path(), 2, 1);
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

}  // namespace
}  // namespace mosaik::test
