// `mosaik groups` against a group of three real nodes on loopback (issue 18, decision 0702):
// it lists the members, the leader they elected and a term of at least 1, from what each
// member reports in its peer entry.

#include <gtest/gtest.h>

#include <asio/this_coro.hpp>

#include <regex>

#include "group_fixture.hpp"
#include "kv_machine.hpp"
#include "mosaik/mosaik.hpp"
#include "support/child_process.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace mosaik_groups_test {
namespace {

using test::ChildProcess;

constexpr const char* kNetName = "mosaik-groups-tool-test";

std::vector<std::string> groups_args(const EndpointAddr& peer, bool json) {
  std::vector<std::string> args{"groups", "--network", kNetName, "--bootstrap", peer.to_string(),
                                "--listen", "127.0.0.1:0", "--no-dht", "--timeout", "10", "--settle-ms", "0"};
  if (json) args.push_back("--json");
  return args;
}

// The tool's logs (stderr, merged into what the test reads) at warn: only what it prints.
std::vector<std::pair<std::string, std::string>> quiet() { return {{"MOSAIK_LOG", "warn"}}; }

// `node`'s catalog holds a report of `group` naming `leader` from every other member.
asio::awaitable<void> until_reports_reach(const Network& node, GroupId group, PeerId leader, std::size_t others) {
  co_await test::until_catalog(node, [=](const discovery::Catalog& c) {
    std::size_t reporting = 0;
    for (const auto& [id, e] : c) {
      const auto* r = e.entry().group_report(group);
      reporting += r != nullptr && r->leader == leader ? 1 : 0;
    }
    return reporting == others;
  });
}

TEST(MosaikGroups, json_lists_the_members_the_elected_leader_and_a_term_of_at_least_one) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await test::make_converged_nodes(kNetName, 3, [] { return test::fast_discovery(); });
    const auto key = groups::GroupKey::generate();
    std::vector<groups::Group<test::KvStore>> members;
    for (auto& n : nodes) {
      members.push_back(
          n.groups().with_key(key).with_state_machine(test::KvStore{}).with_consensus_config(test::test_consensus()).join());
    }
    const auto leader = co_await test::agreed_leader(members, 15);
    const auto agreed = std::chrono::steady_clock::now();
    const auto group = members.front().id();
    co_await until_reports_reach(nodes[0], group, leader, 2);  // what the tool's node syncs from
    fmt::print("both other members' reports of the leader reached a member's catalog {} ms after all agreed\n",
               std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - agreed).count());

    auto ex = co_await asio::this_coro::executor;
    auto child = ChildProcess::spawn(ex, MOSAIK_TOOL, groups_args(nodes[0].local().addr(), true), quiet());
    CO_ASSERT_TRUE(co_await child.exit_code(20) == 0);
    const auto out = child.output();
    const auto at = out.find(fmt::format(R"({{"id":"{}")", group.to_hex()));
    CO_ASSERT_TRUE(at != std::string::npos);
    const auto json = out.substr(at);
    for (const auto& n : nodes) {
      EXPECT_NE(json.find(fmt::format(R"("{}")", n.local().id().to_string())), std::string::npos) << out;
    }
    EXPECT_NE(json.find(fmt::format(R"("leader":"{}","term":)", leader.to_string())), std::string::npos) << out;
    std::smatch term;
    CO_ASSERT_TRUE(std::regex_search(json, term, std::regex(R"("term":([0-9]+),"commit_index":([0-9]+))")));
    EXPECT_GE(std::stoull(term[1].str()), 1u) << out;
    EXPECT_EQ(std::count(json.begin(), json.end(), '{'), 1 + 3) << "one report per member:\n" << out;

    // The table names the group, its leader and its members in short form.
    auto table = ChildProcess::spawn(ex, MOSAIK_TOOL, groups_args(nodes[0].local().addr(), false), quiet());
    CO_ASSERT_TRUE(co_await table.exit_code(20) == 0);
    const auto line = table.output();
    EXPECT_NE(line.find(fmt::format("{}", group)), std::string::npos) << line;
    EXPECT_NE(line.find(fmt::format("{} ", leader)), std::string::npos) << line;
    EXPECT_NE(line.find("1 group;"), std::string::npos) << line;
    for (auto& n : nodes) co_await n.shutdown();
  });
}

}  // namespace
}  // namespace mosaik_groups_test
}  // namespace mosaik
