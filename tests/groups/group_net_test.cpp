// Groups over the network: real nodes on loopback join a group by key, bond, elect a leader
// and commit commands through it.
#include <gtest/gtest.h>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>

#include "kv_machine.hpp"
#include "mosaik/primitives/async/block_on.hpp"
#include "mosaik/primitives/async/task_group.hpp"
#include "node_fixture.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace group_net_test {
namespace {

using namespace std::chrono_literals;

const NetworkId kNet = "groups-net-test";

struct Add {
  std::int64_t delta = 0;
  MSGPACK_DEFINE(delta);
};

// A counter whose value the test reads through a shared cell (queries are not built yet).
struct Counter {
  using Command = Add;
  using Query = groups::Unit;
  using QueryResult = std::int64_t;
  std::shared_ptr<std::atomic<std::int64_t>> value = std::make_shared<std::atomic<std::int64_t>>(0);
  // What the last apply was told came before it.
  std::shared_ptr<std::atomic<std::uint64_t>> committed_before = std::make_shared<std::atomic<std::uint64_t>>(0);
  [[nodiscard]] UniqueId signature() const { return unique_id("test.counter.v1"); }
  void apply(Add a, const groups::ApplyContext& ctx) {
    *value += a.delta;
    *committed_before = ctx.committed().index.value;
  }
  [[nodiscard]] std::int64_t query(const groups::Unit&) const { return *value; }
};

// Waits out `d`: for checks that something does NOT happen within it (never to synchronise).
asio::awaitable<void> pause(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

groups::ConsensusConfig fast_consensus() {
  return groups::ConsensusConfig::builder()
      .with_heartbeat_interval(100ms)
      .with_heartbeat_jitter(20ms)
      .with_election_timeout(500ms)
      .with_election_timeout_jitter(200ms)
      .with_bootstrap_delay(500ms)
      .with_bootstrap_expect(3)
      .build();
}

groups::Group<Counter> join(const Network& node, const groups::GroupKey& key, Counter counter) {
  return node.groups().with_key(key).with_state_machine(std::move(counter)).with_consensus_config(fast_consensus()).join();
}

asio::awaitable<std::vector<Network>> three_nodes() {
  co_return co_await test::make_converged_nodes(kNet, 3, [] { return test::fast_discovery(); });
}

// Every member follows the same leader and is bonded with all the others.
template <class M>
asio::awaitable<PeerId> agreed_leader(std::vector<groups::Group<M>>& members, double seconds) {
  auto wait = [&]() -> asio::awaitable<PeerId> {
    for (;;) {
      const auto others = members.size() - 1;
      for (auto& m : members) {
        auto watch = m.status_watch();
        (void)co_await watch.wait_until(
            [others](const groups::Status& s) { return s.leader.has_value() && s.bonds == others; });
      }
      const auto first = members.front().leader();
      bool agree = first.has_value();
      for (const auto& m : members) agree = agree && m.leader() == first && m.bonds() == others;
      if (agree) co_return *first;
      co_await members.front().when().leader_changed();  // an election is under way
    }
  };
  co_return co_await test::timeout_s(seconds, wait());
}

TEST(GroupsNet, three_members_bond_and_elect_one_leader_within_bootstrap_delay_and_an_election_timeout) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await three_nodes();
    const auto key = groups::GroupKey::generate();
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<groups::Group<Counter>> members;
    for (auto& n : nodes) members.push_back(join(n, key, Counter{}));
    // Bonds form first (about one catalog round), then the bootstrap delay and one election.
    const auto c = fast_consensus();
    const auto bound = c.bootstrap_delay + c.election_timeout + c.election_timeout_jitter;
    for (auto& m : members) co_await test::timeout_s(10, m.when().leader_elected());
    const auto leader = co_await agreed_leader(members, 10);
    const auto took = std::chrono::steady_clock::now() - t0;
    CO_ASSERT_TRUE(took < 2 * bound + 1s);
    std::size_t leaders = 0;
    for (const auto& m : members) leaders += m.is_leader() ? 1 : 0;
    CO_ASSERT_TRUE(leaders == 1u);
    bool leader_is_a_member = false;
    for (const auto& n : nodes) leader_is_a_member = leader_is_a_member || n.local().id() == leader;
    CO_ASSERT_TRUE(leader_is_a_member);
    // The group is advertised in each member's entry.
    for (const auto& n : nodes) {
      co_await test::until_catalog(n, [&](const discovery::Catalog& cat) {
        std::size_t with_group = 0;
        for (const auto& [id, e] : cat) with_group += e.groups().contains(members.front().id()) ? 1 : 0;
        return with_group == 2;
      });
    }
  }());
}

TEST(GroupsNet, commands_from_the_leader_and_from_followers_commit_on_every_member) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await three_nodes();
    const auto key = groups::GroupKey::generate();
    std::vector<Counter> counters(3);
    std::vector<groups::Group<Counter>> members;
    for (std::size_t i = 0; i < 3; ++i) members.push_back(join(nodes[i], key, counters[i]));
    (void)co_await agreed_leader(members, 15);
    std::int64_t sum = 0;
    for (std::size_t i = 0; i < 3; ++i) {  // one of them leads; the others forward
      for (std::int64_t k = 1; k <= 5; ++k) {
        const Add add{k};
        auto index = co_await test::timeout_s(10, members[i].execute(add));
        CO_ASSERT_TRUE(index.has_value());
        // Applied where it executed before execute returns; its context names what came before.
        CO_ASSERT_TRUE(counters[i].committed_before->load() < index->value);
        sum += k;
      }
    }
    std::vector<Add> batch{Add{100}, Add{200}};  // named: g++ 12 and braced temporaries in co_await
    auto last = co_await test::timeout_s(10, members[0].execute_many(std::move(batch)));
    CO_ASSERT_TRUE(last.has_value());
    CO_ASSERT_TRUE(last->size() == 2u);
    sum += 300;
    for (auto& m : members) (void)co_await test::timeout_s(10, m.when().committed().reaches(last->last));
    for (const auto& c : counters) CO_ASSERT_TRUE(c.value->load() == sum);
    // Strong reads on every member see everything committed; a weak read on the member
    // that executed sees at least its own command.
    for (auto& m : members) {
      auto strong = co_await test::timeout_s(10, m.query(groups::Unit{}, groups::Consistency::Strong));
      CO_ASSERT_TRUE(strong.has_value() && strong->result == sum && strong->at_position >= last->last);
    }
    auto weak = co_await members[0].query(groups::Unit{}, groups::Consistency::Weak);
    CO_ASSERT_TRUE(weak.has_value() && weak->result == sum);
    // feed returns once the leader assigned an index; the commit follows.
    const Add fed_add{7};
    auto fed = co_await test::timeout_s(10, members[2].feed(fed_add));
    CO_ASSERT_TRUE(fed.has_value() && *fed > last->last);
    (void)co_await test::timeout_s(10, members[2].when().committed().reaches(*fed));
    std::vector<Add> empty;
    auto none = co_await members[1].execute_many(std::move(empty));
    CO_ASSERT_TRUE(!none && none.error().is_no_commands());
  }());
}

// Calls that arrive together leave as one proposal (the worker batches what reaches it in one
// turn of its executor); each caller still gets the index of its own command.
TEST(GroupsNet, concurrent_executes_on_a_follower_each_get_the_index_of_their_own_command) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await three_nodes();
    const auto key = groups::GroupKey::generate();
    std::vector<groups::Group<test::KvStore>> members;
    for (auto& n : nodes)
      members.push_back(
          n.groups().with_key(key).with_state_machine(test::KvStore{}).with_consensus_config(fast_consensus()).join());
    (void)co_await agreed_leader(members, 15);
    const auto follower = members[0].is_leader() ? members[1] : members[0];
    constexpr std::uint64_t kCalls = 48;
    auto indices = std::make_shared<std::vector<groups::Index>>(kCalls);
    auto put = [](groups::Group<test::KvStore> g, std::uint64_t value,
                  std::shared_ptr<std::vector<groups::Index>> out) -> asio::awaitable<void> {
      const test::KvPut command{static_cast<std::uint8_t>(value), value};
      auto r = co_await g.execute(command);
      if (r) (*out)[value - 1] = *r;
    };
    TaskGroup calls(co_await asio::this_coro::executor);
    for (std::uint64_t v = 1; v <= kCalls; ++v) calls.spawn(put(follower, v, indices));
    co_await test::timeout_s(10, calls.join());
    co_await calls.close();
    // Every call committed at an index of its own ...
    std::vector<std::uint64_t> by_index(kCalls);
    for (std::uint64_t v = 1; v <= kCalls; ++v) by_index[v - 1] = v;
    for (auto i : *indices) CO_ASSERT_TRUE(!i.is_zero());
    std::sort(by_index.begin(), by_index.end(),
              [&](std::uint64_t a, std::uint64_t b) { return (*indices)[a - 1] < (*indices)[b - 1]; });
    for (std::size_t k = 1; k < kCalls; ++k)
      CO_ASSERT_TRUE((*indices)[by_index[k - 1] - 1] < (*indices)[by_index[k] - 1]);
    // ... and the values were applied in the order of those indices.
    const test::KvQuery everything{0, true};
    auto view = co_await test::timeout_s(10, follower.query(everything, groups::Consistency::Strong));
    CO_ASSERT_TRUE(view.has_value());
    CO_ASSERT_TRUE(view->result.applied == by_index);
  }());
}

TEST(GroupsNet, a_member_with_another_key_forms_another_group_and_never_bonds_with_this_one) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await test::make_converged_nodes(kNet, 4, [] { return test::fast_discovery(); });
    const auto key = groups::GroupKey::generate();
    std::vector<groups::Group<Counter>> members;
    for (std::size_t i = 0; i < 3; ++i) members.push_back(join(nodes[i], key, Counter{}));
    auto stranger = join(nodes[3], groups::GroupKey::generate(), Counter{});
    CO_ASSERT_TRUE(stranger.id() != members[0].id());
    (void)co_await agreed_leader(members, 15);
    co_await pause(600ms);  // a few heartbeats: no bond may form meanwhile
    CO_ASSERT_TRUE(stranger.bonds() == 0u);
    CO_ASSERT_TRUE(!stranger.leader().has_value());  // alone, below bootstrap_expect
    for (const auto& m : members) CO_ASSERT_TRUE(m.bonds() == 2u);
  }());
}

TEST(GroupsNet, joining_twice_shares_one_membership_and_the_last_handle_leaves) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await three_nodes();
    const auto key = groups::GroupKey::generate();
    std::vector<groups::Group<Counter>> members;
    for (std::size_t i = 0; i < 3; ++i) members.push_back(join(nodes[i], key, Counter{}));
    (void)co_await agreed_leader(members, 15);
    {
      auto again = join(nodes[2], key, Counter{});
      CO_ASSERT_TRUE(again.bonds() == 2u);  // the same membership, already bonded
    }
    CO_ASSERT_TRUE(members[2].bonds() == 2u);  // dropping the copy did not leave
    const auto leaving = nodes[2].local().id();
    members.pop_back();                     // the last handle of node 2
    for (auto& m : members) {
      auto watch = m.status_watch();
      (void)co_await test::timeout_s(5, watch.wait_until([](const groups::Status& s) { return s.bonds == 1; }));
    }
    co_await test::until_catalog(nodes[0], [&](const discovery::Catalog& cat) {
      const auto* entry = cat.get(leaving);
      return entry != nullptr && !entry->groups().contains(members[0].id());
    });
    // Two of three remain: still a quorum, under a new leader if the one that left led.
    auto watch = members[0].status_watch();
    (void)co_await test::timeout_s(
        10, watch.wait_until([&](const groups::Status& s) { return s.leader && *s.leader != leaving; }));
    const Add one{1};
    auto index = co_await test::timeout_s(10, members[0].execute(one));
    CO_ASSERT_TRUE(index.has_value());
  }());
}

}  // namespace
}  // namespace group_net_test
}  // namespace mosaik
