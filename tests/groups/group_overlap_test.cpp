// Three overlapping groups on four nodes ({A,B,C}, {B,C,D}, {A,C,D}): each elects its own
// leader and commits its own commands; a node that leaves one of them stays in the others.
#include <gtest/gtest.h>

#include <array>

#include "group_fixture.hpp"
#include "kv_machine.hpp"
#include "mosaik/primitives/async/block_on.hpp"
#include "support/co_assert.hpp"

namespace mosaik::test {
namespace group_overlap_test {
namespace {

const NetworkId kNet = "groups-overlap-test";
using Members = std::vector<groups::Group<KvStore>>;

// Executes one command per member of `group` with values from `base` on, and checks that
// the group's state holds exactly those: nothing leaked from the other groups.
asio::awaitable<void> commit_own_commands(Members& group, std::uint64_t base) {
  std::vector<std::uint64_t> expected;
  for (std::size_t i = 0; i < group.size(); ++i) {
    const KvPut put{0, base + i};
    auto index = co_await timeout_s(10, group[i].execute(put));
    CO_ASSERT_TRUE(index.has_value());
    expected.push_back(put.value);
  }
  for (auto& m : group) {
    auto view = co_await timeout_s(10, m.query(KvQuery{0, true}, groups::Consistency::Strong));
    CO_ASSERT_TRUE(view.has_value());
    EXPECT_EQ(view->result.applied, expected);
  }
}

TEST(GroupOverlap, three_groups_on_four_nodes_elect_and_commit_independently_and_leaving_one_keeps_the_others) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await make_faultable_nodes(kNet, 4);
    enum { A, B, C, D };
    const std::array<std::array<int, 3>, 3> layout{{{A, B, C}, {B, C, D}, {A, C, D}}};
    std::array<groups::GroupKey, 3> keys{groups::GroupKey::generate(), groups::GroupKey::generate(),
                                         groups::GroupKey::generate()};
    std::array<Members, 3> members_of;
    for (std::size_t g = 0; g < 3; ++g)
      for (int n : layout[g])
        members_of[g].push_back(nodes[static_cast<std::size_t>(n)]
                                .groups()
                                .with_key(keys[g])
                                .with_state_machine(KvStore{})
                                .with_consensus_config(test_consensus())
                                .join());
    CO_ASSERT_TRUE(members_of[0][0].id() != members_of[1][0].id() && members_of[1][0].id() != members_of[2][0].id());
    std::array<PeerId, 3> leaders;
    for (std::size_t g = 0; g < 3; ++g) leaders[g] = co_await agreed_leader(members_of[g], 15);
    for (std::size_t g = 0; g < 3; ++g) {
      bool among_its_members = false;
      for (int n : layout[g]) among_its_members = among_its_members || nodes[static_cast<std::size_t>(n)].local().id() == leaders[g];
      CO_ASSERT_TRUE(among_its_members);
    }
    for (std::size_t g = 0; g < 3; ++g) co_await commit_own_commands(members_of[g], 100 * (g + 1));

    // C leaves {A,B,C} (its last handle of it goes); A and B go on as a group of two.
    const auto c_id = nodes[C].local().id();
    const auto left = members_of[0][0].id();
    members_of[0].pop_back();
    for (auto& m : members_of[0]) {
      auto watch = m.status_watch();
      (void)co_await timeout_s(5, watch.wait_until([](const groups::Status& s) { return s.bonds == 1; }));
    }
    co_await until_catalog(nodes[A], [&](const discovery::Catalog& cat) {
      const auto* entry = cat.get(c_id);
      return entry != nullptr && !entry->groups().contains(left);
    });
    const auto* c_entry = nodes[A].discovery().catalog().get(c_id);
    CO_ASSERT_TRUE(c_entry != nullptr);
    CO_ASSERT_TRUE(c_entry->groups().contains(members_of[1][0].id()) && c_entry->groups().contains(members_of[2][0].id()));
    (void)co_await agreed_leader(members_of[0], 10);
    const KvPut after_leaving{0, 150};
    auto index = co_await timeout_s(10, members_of[0][1].execute(after_leaving));
    CO_ASSERT_TRUE(index.has_value());
    // C is still a bonded member of the other two, and commits in them.
    for (std::size_t g = 1; g < 3; ++g) {
      (void)co_await agreed_leader(members_of[g], 10);
      for (auto& m : members_of[g]) CO_ASSERT_TRUE(m.bonds() == 2u);
      auto& c_member = members_of[g][1];  // C is the second member of both
      const KvPut put{1, 1000 + g};
      auto committed = co_await timeout_s(10, c_member.execute(put));
      CO_ASSERT_TRUE(committed.has_value());
    }
  });
}

}  // namespace
}  // namespace group_overlap_test
}  // namespace mosaik::test
