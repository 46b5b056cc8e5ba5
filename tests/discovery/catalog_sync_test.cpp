#include "catalog_sync.hpp"

#include <gtest/gtest.h>

#include <set>

namespace mosaik::discovery {
namespace catalog_sync_test {
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

// What an exchange brings that gossip should have brought: peers we did not know, signed
// long enough ago that their broadcast missed us. Not a changed version, not a fresh entry
// (its broadcast may still be on its way), and nothing from our first exchange (history).
TEST(CatalogSync, missed_broadcasts_are_unknown_peers_signed_long_ago_once_we_knew_someone) {
  const auto k = SecretKey::from_seed("a");
  CatalogState a(kNet, k.public_key(), Config::builder().build().value());
  ASSERT_TRUE(a.merge(entry_of("known", kNow - 9s), kNow).has_value());
  const std::vector<SignedPeerEntry> brought = {entry_of("old", kNow - 5s), entry_of("fresh", kNow - 1s),
                                                entry_of("known", kNow - 6s)};
  const auto report = merge_batch(a, brought, kNow, 10'000);
  ASSERT_EQ(report.discovered, 2u);
  ASSERT_EQ(report.updated, 1u);
  const auto missed = missed_broadcasts(report, /*knew_someone=*/true, kNow, 2s);
  ASSERT_EQ(missed.size(), 1u);
  EXPECT_EQ(missed[0].peer_id(), SecretKey::from_seed("old").public_key());
  // As it was signed, so its broadcast is the one a node that has it drops as a duplicate.
  EXPECT_EQ(wire::encode(missed[0]), wire::encode(brought[0]));
  EXPECT_TRUE(missed_broadcasts(report, /*knew_someone=*/false, kNow, 2s).empty());
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

// Digests first (docs/decisions/0213): a summary names what a peer holds; only entries it
// lacks or holds older travel, and the other side names what it lacks in turn.
TEST(CatalogSync, a_summary_names_every_signed_entry_with_its_version) {
  const auto k = SecretKey::from_seed("a");
  CatalogState a(kNet, k.public_key(), Config::builder().build().value());
  ASSERT_TRUE(a.merge(entry_of("x"), kNow).has_value());
  ASSERT_TRUE(a.insert_unsigned(PeerEntry(kNet, EndpointAddr(SecretKey::from_seed("u").public_key()))));
  const auto summary = summarize(a.catalog());
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(summary[0].peer, entry_of("x").peer_id().as_bytes());
  EXPECT_EQ(summary[0].version, entry_of("x").version());
  const auto back = wire::decode<std::vector<EntryVersion>>(wire::encode(summary)).value();
  EXPECT_EQ(back[0].peer, summary[0].peer);
}

TEST(CatalogSync, only_entries_the_peer_lacks_or_holds_older_are_shared) {
  const auto k = SecretKey::from_seed("a");
  CatalogState a(kNet, k.public_key(), Config::builder().build().value());
  ASSERT_TRUE(a.merge(entry_of("same"), kNow).has_value());
  ASSERT_TRUE(a.merge(entry_of("newer", kNow), kNow).has_value());
  ASSERT_TRUE(a.merge(entry_of("missing"), kNow).has_value());
  ASSERT_TRUE(a.merge(entry_of("older", kNow - 1s), kNow).has_value());
  const std::vector<EntryVersion> peer_has = {
      {entry_of("same").peer_id().as_bytes(), entry_of("same").version()},
      {entry_of("newer").peer_id().as_bytes(), entry_of("newer", kNow - 1s).version()},
      {entry_of("older").peer_id().as_bytes(), entry_of("older", kNow).version()},
  };
  const auto me = entry_of("a");
  const auto shared = entries_to_share(a.catalog(), me, SIZE_MAX, 0, &peer_has);
  std::set<PeerId> ids;
  for (const auto& e : shared) ids.insert(e.peer_id());
  EXPECT_EQ(ids, (std::set<PeerId>{me.peer_id(), entry_of("newer").peer_id(), entry_of("missing").peer_id()}));
  // What the peer has and we lack or hold older: "older" only.
  const auto wanted = wanted_from(a.catalog(), k.public_key(), peer_has);
  ASSERT_EQ(wanted.size(), 1u);
  EXPECT_EQ(wanted[0], entry_of("older").peer_id().as_bytes());
  // Our own id in a summary is never wanted; the bound holds.
  const std::vector<EntryVersion> names_us = {{k.public_key().as_bytes(), {kNow, kNow}},
                                              {entry_of("p").peer_id().as_bytes(), {kNow, kNow}},
                                              {entry_of("q").peer_id().as_bytes(), {kNow, kNow}}};
  EXPECT_EQ(wanted_from(a.catalog(), k.public_key(), names_us).size(), 2u);
  EXPECT_EQ(wanted_from(a.catalog(), k.public_key(), names_us, 1).size(), 1u);
  // The entries named, as held (an id we do not hold is skipped).
  const auto named = entries_named(a.catalog(), {entry_of("older").peer_id().as_bytes(),
                                                  entry_of("p").peer_id().as_bytes()});
  ASSERT_EQ(named.size(), 1u);
  EXPECT_EQ(named[0], entry_of("older", kNow - 1s));
}

TEST(CatalogSync, two_catalogs_converge_through_digests_with_each_entry_sent_once) {
  const auto ka = SecretKey::from_seed("a"), kb = SecretKey::from_seed("b");
  CatalogState a(kNet, ka.public_key(), Config::builder().build().value());
  CatalogState b(kNet, kb.public_key(), Config::builder().build().value());
  for (const auto* seed : {"x", "both"}) ASSERT_TRUE(a.merge(entry_of(seed), kNow).has_value());
  for (const auto* seed : {"y", "both"}) ASSERT_TRUE(b.merge(entry_of(seed), kNow).has_value());
  const auto me_a = entry_of("a"), me_b = entry_of("b");
  // a dials: its entry and summary; b answers with what a lacks and names what it lacks.
  auto summary = summarize(a.catalog());
  summary.push_back({me_a.peer_id().as_bytes(), me_a.version()});  // so b does not send it back
  ASSERT_EQ(merge_batch(b, {me_a}, kNow, 10'000).discovered, 1u);
  const auto reply = entries_to_share(b.catalog(), me_b, SIZE_MAX, 0, &summary);
  const auto wanted = wanted_from(b.catalog(), kb.public_key(), summary);
  EXPECT_EQ(reply.size(), 2u);  // b and y
  const auto at_a = merge_batch(a, reply, kNow, 10'000);
  EXPECT_EQ(at_a.discovered, 2u);
  const auto more = entries_named(a.catalog(), wanted);
  ASSERT_EQ(more.size(), 1u);  // x
  EXPECT_EQ(merge_batch(b, more, kNow, 10'000).discovered, 1u);
  EXPECT_EQ(a.catalog().size(), 4u);  // b, x, y, both
  EXPECT_EQ(b.catalog().size(), 4u);  // a, x, y, both
}

}  // namespace
}  // namespace catalog_sync_test
}  // namespace mosaik::discovery
