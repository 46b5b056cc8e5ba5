// A collection's group identity: what separates two collections and what does not
// (docs/decisions/0800), and the stable type names it is made of.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mosaik/collections/options.hpp"
#include "mosaik/collections/type_name.hpp"
#include "mosaik/groups/group_key.hpp"

namespace mosaik::collections {
namespace identity_test {
namespace {

struct Order {
  static constexpr std::string_view mosaik_type_name = "test.Order.v1";
};

GroupId id_of(const StoreDescriptor& d, const SyncConfig& sync = {}, const std::optional<StoreSecret>& secret = {}) {
  return groups::derive_group_id(store_group_key(d, sync, secret), groups::ConsensusConfig{}.digest(),
                                 machine_signature(d), groups::SnapshotSync{sync}.signature());
}

TEST(CollectionsIdentity, type_names_are_fixed_strings_composed_from_their_parts) {
  EXPECT_EQ(type_name<std::uint64_t>(), "u64");
  EXPECT_EQ(type_name<std::string>(), "string");
  EXPECT_EQ((type_name<std::vector<std::pair<std::int32_t, std::optional<Order>>>>()),
            "vec<pair<i32,optional<test.Order.v1>>>");
}

TEST(CollectionsIdentity, the_same_descriptor_and_config_give_the_same_group_on_every_node) {
  const StoreDescriptor d{"map", StoreId("prices"), {"string", "f64"}};
  EXPECT_EQ(id_of(d), id_of(d));
}

TEST(CollectionsIdentity, kind_store_types_and_every_sync_field_separate_groups) {
  const StoreDescriptor base{"map", StoreId("prices"), {"string", "u64"}};
  const auto id = id_of(base);
  EXPECT_NE(id, id_of({"once", StoreId("prices"), {"string", "u64"}}));
  EXPECT_NE(id, id_of({"map", StoreId("prices2"), {"string", "u64"}}));
  EXPECT_NE(id, id_of({"map", StoreId("prices"), {"u32", "u64"}}));
  EXPECT_NE(id, id_of({"map", StoreId("prices"), {"string", "i64"}}));
  std::vector<SyncConfig> changed(5);
  changed[0].fetch_batch_size = 5000;
  changed[1].snapshot_ttl = std::chrono::seconds(30);
  changed[2].snapshot_request_timeout = std::chrono::seconds(1);
  changed[3].fetch_timeout = std::chrono::seconds(1);
  changed[4].snapshot_interval = 7;
  for (const auto& sync : changed) EXPECT_NE(id, id_of(base, sync));
}

TEST(CollectionsIdentity, a_store_secret_gives_another_key_and_only_its_holders_share_it) {
  const StoreDescriptor d{"map", StoreId("prices"), {"string", "f64"}};
  const auto a = StoreSecret::from_passphrase("0123456789abcdef0123456789abcdef");
  const auto b = StoreSecret::from_passphrase("fedcba9876543210fedcba9876543210");
  EXPECT_NE(id_of(d), id_of(d, {}, a));
  EXPECT_NE(id_of(d, {}, a), id_of(d, {}, b));
  EXPECT_EQ(id_of(d, {}, a), id_of(d, {}, StoreSecret::from_passphrase("0123456789abcdef0123456789abcdef")));
  // The key itself, not only the id: the bond proof is keyed by it.
  EXPECT_FALSE(store_group_key(d, {}, a) == store_group_key(d, {}, std::nullopt));
}

}  // namespace
}  // namespace identity_test
}  // namespace mosaik::collections
