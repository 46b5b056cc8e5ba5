#include "catalog_sync.hpp"

#include <gtest/gtest.h>

namespace mosaik::discovery {
namespace {

using namespace std::chrono_literals;

const NetworkId kNet = "sync-net";
constexpr Timestamp kNow{1'700'000'000'000};

SignedPeerEntry entry_of(std::string_view seed, Timestamp update = kNow) {
  const auto key = SecretKey::from_seed(seed);
  PeerEntry e(kNet, EndpointAddr(key.public_key()));
  e.set_version({kNow - 10s, update});
  return SignedPeerEntry::sign(e, key);
}

TEST(CatalogSync, two_catalogs_converge_after_one_exchange) {
  const auto ka = SecretKey::from_seed("a"), kb = SecretKey::from_seed("b");
  CatalogState a(kNet, ka.public_key(), Config::builder().build().value());
  CatalogState b(kNet, kb.public_key(), Config::builder().build().value());
  ASSERT_TRUE(a.merge(entry_of("x"), kNow).has_value());
  ASSERT_TRUE(b.merge(entry_of("y"), kNow).has_value());
  const auto me_a = entry_of("a"), me_b = entry_of("b");

  const SyncRequest req{kNet, entries_to_share(a.catalog(), me_a)};
  const auto req_back = wire::decode<SyncRequest>(wire::encode(req)).value();
  const auto at_b = merge_batch(b, req_back.entries, kNow, 10'000);
  EXPECT_EQ(at_b.discovered, 2u);  // a and x
  const SyncResponse resp{entries_to_share(b.catalog(), me_b)};
  const auto at_a = merge_batch(a, wire::decode<SyncResponse>(wire::encode(resp)).value().entries,
                                kNow, 10'000);
  EXPECT_EQ(at_a.discovered, 2u);  // b and y; a's own entry comes back and is refused
  EXPECT_EQ(at_a.rejected, 1u);
  EXPECT_EQ(a.catalog().size(), 3u);
  EXPECT_EQ(b.catalog().size(), 3u);
  EXPECT_EQ(at_a.changed.size(), 2u);
}

TEST(CatalogSync, unsigned_entries_are_never_shared) {
  const auto k = SecretKey::from_seed("a");
  CatalogState a(kNet, k.public_key(), Config::builder().build().value());
  PeerEntry local(kNet, EndpointAddr(SecretKey::from_seed("u").public_key()));
  ASSERT_TRUE(a.insert_unsigned(local).has_value());
  EXPECT_EQ(entries_to_share(a.catalog(), entry_of("a")).size(), 1u);
}

TEST(CatalogSync, an_oversized_batch_is_refused_whole) {
  const auto k = SecretKey::from_seed("a");
  CatalogState a(kNet, k.public_key(), Config::builder().build().value());
  std::vector<SignedPeerEntry> many;
  for (int i = 0; i < 5; ++i) many.push_back(entry_of("p" + std::to_string(i)));
  const auto report = merge_batch(a, many, kNow, 3);
  EXPECT_EQ(report.rejected, 5u);
  EXPECT_TRUE(a.catalog().empty());
}

TEST(CatalogSync, forged_entries_in_a_batch_are_dropped_and_the_rest_merged) {
  const auto k = SecretKey::from_seed("a");
  CatalogState a(kNet, k.public_key(), Config::builder().build().value());
  auto good = entry_of("g");
  auto forged = SignedPeerEntry::from_parts(entry_of("f").entry(), good.signature());
  const auto report = merge_batch(a, {forged, good}, kNow, 10);
  EXPECT_EQ(report.rejected, 1u);
  EXPECT_EQ(report.discovered, 1u);
  EXPECT_EQ(a.rejected(Rejection::kInvalidSignature), 1u);
}

TEST(CatalogSync, a_request_with_missing_fields_does_not_decode) {
  EXPECT_FALSE(wire::decode<SyncRequest>(wire::encode(std::make_tuple(kNet))).has_value());
}

TEST(CatalogSync, a_catalog_over_the_byte_budget_is_shared_in_part_from_the_given_place) {
  const auto key = SecretKey::from_seed("me");
  CatalogState state(kNet, key.public_key(), Config::builder().build().value());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(state.merge(entry_of("peer-" + std::to_string(i)), kNow));
  const auto me = entry_of("me");
  const std::size_t one = wire::encode(me).size();

  const auto all = entries_to_share(state.catalog(), me);
  EXPECT_EQ(all.size(), 21u);
  // Room for ours and five more: the first is always ours.
  const auto part = entries_to_share(state.catalog(), me, 6 * one, 0);
  ASSERT_EQ(part.size(), 6u);
  EXPECT_EQ(part.front().peer_id(), me.peer_id());
  std::size_t bytes = 0;
  for (const auto& e : part) bytes += wire::encode(e).size();
  EXPECT_LE(bytes, 6 * one);
  // Another start covers other entries, wrapping around the end.
  const auto later = entries_to_share(state.catalog(), me, 6 * one, 18);
  ASSERT_EQ(later.size(), 6u);
  EXPECT_EQ(later[1].peer_id(), all[19].peer_id());
  EXPECT_EQ(later[3].peer_id(), all[1].peer_id());
}

}  // namespace
}  // namespace mosaik::discovery
