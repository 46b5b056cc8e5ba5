// Who may bond, on real nodes: the same key with another consensus config is another group
// (another GroupId), so its members never bond with this one's; and a peer that names this
// group's id without holding its key is refused by the member's groups service with
// InvalidProof and never counted as a bond. (bond_test.cpp checks the handshake itself
// between bare endpoints; group_net_test.cpp that another key forms another group.)
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/use_awaitable.hpp>

#include "group_fixture.hpp"
#include "groups/bond/handshake.hpp"
#include "kv_machine.hpp"
#include "mosaik/groups/close_reasons.hpp"
#include "mosaik/primitives/async/block_on.hpp"
#include "support/co_assert.hpp"

namespace mosaik::test {
namespace group_identity_net_test {
namespace {

using namespace std::chrono_literals;

const NetworkId kNet = "groups-identity-test";

groups::Group<KvStore> join(const Network& node, const groups::GroupKey& key, groups::ConsensusConfig config) {
  return node.groups().with_key(key).with_state_machine(KvStore{}).with_consensus_config(config).join();
}

asio::awaitable<void> until_bonds(const groups::Group<KvStore>& member, std::size_t bonds) {
  auto watch = member.status_watch();
  (void)co_await timeout_s(10, watch.wait_until([bonds](const groups::Status& s) { return s.bonds == bonds; }));
}

TEST(GroupIdentityNet, the_same_key_with_another_consensus_config_is_another_group_that_never_bonds) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await make_faultable_nodes(kNet, 4);
    const auto key = groups::GroupKey::generate();
    const auto config = test_consensus();
    auto other_config = config;
    other_config.election_timeout = config.election_timeout + 100ms;  // one field differs
    CO_ASSERT_TRUE(other_config.validate().has_value());
    // Nodes 0 and 1 share a config, nodes 2 and 3 share the other.
    std::vector<groups::Group<KvStore>> members{join(nodes[0], key, config), join(nodes[1], key, config),
                                                join(nodes[2], key, other_config), join(nodes[3], key, other_config)};
    CO_ASSERT_TRUE(members[0].id() == members[1].id());
    CO_ASSERT_TRUE(members[2].id() == members[3].id());
    CO_ASSERT_TRUE(members[0].id() != members[2].id());
    // Same config: bonded. Each advertises its own group, which the others see.
    for (auto& m : members) co_await until_bonds(m, 1);
    co_await until_catalog(nodes[0], [&](const discovery::Catalog& cat) {
      const auto* entry = cat.get(nodes[2].local().id());
      return entry != nullptr && entry->groups().contains(members[2].id());
    });
    co_await pause(600ms);  // several dial rounds and heartbeats: no cross bond may form
    for (auto& m : members) EXPECT_EQ(m.bonds(), 1u);
  });
}

TEST(GroupIdentityNet, a_peer_naming_the_group_without_its_key_is_refused_with_invalid_proof_and_never_bonds) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await make_faultable_nodes(kNet, 3);
    const auto key = groups::GroupKey::generate();
    auto first = join(nodes[0], key, test_consensus());
    auto second = join(nodes[1], key, test_consensus());
    co_await until_bonds(first, 1);
    // Node 2 knows the group's id (it is in node 0's catalog entry) but not its key.
    auto& impostor = nodes[2].local().endpoint();
    const auto target = nodes[0].local().addr();
    groups::detail::BondTerms terms{kNet, first.id(), groups::GroupKey::generate(), impostor.id(),
                                    Digest("impostor-member")};
    struct Outcome {  // default-constructible, as co_spawn needs
      bool bonded = false;
      std::uint64_t code = 0;
      bool remote = false;
    };
    auto attempt = [&]() -> asio::awaitable<Outcome> {
      auto connection = co_await impostor.connect(target, std::string(groups::kAlpn));
      if (!connection) throw std::runtime_error("cannot reach the member: " + connection.error().message);
      auto bond = co_await groups::detail::initiate_bond(*connection, terms, 2s);
      if (bond) co_return Outcome{true, 0, false};
      co_return Outcome{false, bond.error().reason.code(), bond.error().remote};
    };
    const auto refused = co_await timeout_s(10, asio::co_spawn(impostor.executor(), attempt(), asio::use_awaitable));
    CO_ASSERT_TRUE(!refused.bonded);
    EXPECT_EQ(refused.code, groups::close_reason::InvalidProof.code());
    EXPECT_TRUE(refused.remote) << "the member refused it, not the impostor";
    co_await pause(300ms);  // the member must not count it, now or later
    EXPECT_EQ(first.bonds(), 1u);
    EXPECT_EQ(second.bonds(), 1u);
  });
}

}  // namespace
}  // namespace group_identity_net_test
}  // namespace mosaik::test
