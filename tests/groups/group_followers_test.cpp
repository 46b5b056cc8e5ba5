// Commands and strong queries issued on followers (forwarded to the leader) observe each
// other: a strong query on one member sees what another member's execute or feed committed
// before the query was issued.
#include <gtest/gtest.h>

#include "group_fixture.hpp"
#include "kv_machine.hpp"
#include "mosaik/primitives/async/block_on.hpp"
#include "support/co_assert.hpp"

namespace mosaik::test {
namespace group_followers_test {
namespace {

const NetworkId kNet = "groups-followers-test";

TEST(GroupFollowers, execute_feed_and_strong_queries_on_followers_observe_each_other) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await make_faultable_nodes(kNet, 3);
    const auto key = groups::GroupKey::generate();
    std::vector<groups::Group<KvStore>> members;
    for (auto& n : nodes) {
      members.push_back(
          n.groups().with_key(key).with_state_machine(KvStore{}).with_consensus_config(test_consensus()).join());
    }
    (void)co_await agreed_leader(members, 15);
    const auto l = leader_index(members);
    auto& leader = members[l];
    auto& f1 = members[(l + 1) % 3];
    auto& f2 = members[(l + 2) % 3];
    CO_ASSERT_TRUE(!f1.is_leader() && !f2.is_leader());

    auto strong_get = [](const groups::Group<KvStore>& m, std::uint8_t k) {
      return m.query(KvQuery{k, false}, groups::Consistency::Strong);
    };
    std::uint64_t value = 1;
    for (std::uint8_t round = 0; round < 10; ++round, value += 2) {
      const std::uint8_t k = round % 3;
      // Executed on one follower, read strongly on the other and on the leader.
      const KvPut put{k, value};
      auto index = co_await timeout_s(10, f1.execute(put));
      CO_ASSERT_TRUE(index.has_value());
      auto seen = co_await timeout_s(10, strong_get(f2, k));
      CO_ASSERT_TRUE(seen.has_value());
      EXPECT_EQ(seen->result.value, value) << "round " << int(round);
      EXPECT_GE(seen->at_position, *index);
      auto at_leader = co_await timeout_s(10, strong_get(leader, k));
      CO_ASSERT_TRUE(at_leader.has_value() && at_leader->result.value == value);
      // Fed on the other follower (an index once assigned), committed, read on the first.
      const KvPut next{k, value + 1};
      auto fed = co_await timeout_s(10, f2.feed(next));
      CO_ASSERT_TRUE(fed.has_value());
      CO_ASSERT_TRUE(*fed > *index);
      (void)co_await timeout_s(10, f2.when().committed().reaches(*fed));
      auto back = co_await timeout_s(10, strong_get(f1, k));
      CO_ASSERT_TRUE(back.has_value());
      EXPECT_EQ(back->result.value, value + 1) << "round " << int(round);
      EXPECT_GE(back->at_position, *fed);
    }
  });
}

}  // namespace
}  // namespace group_followers_test
}  // namespace mosaik::test
