// Plumtree broadcast, claim by claim (Leitão et al., "Epidemic Broadcast Trees", SRDS
// 2007), plus the batching this implementation adds and the bounded caches it relies on.

#include <gtest/gtest.h>

#include "gossip/message_store.hpp"
#include "gossip/plumtree.hpp"
#include "gossip/received_cache.hpp"
#include "gossip_test_peers.hpp"

namespace mosaik::discovery::gossip {
namespace plumtree_test {
namespace {

using test::of_type;
using test::peer_addr;
using test::sent;

constexpr Instant kT0{10'000};

wire::Bytes bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

struct PlumtreeTest : ::testing::Test {
  PlumtreeConfig config{};
  Plumtree tree{peer_addr(0).id, config};

  void SetUp() override {
    for (int p : {1, 2, 3}) tree.neighbor_up(peer_addr(p), Instant{0});
  }
  GossipItem item(std::string_view name, bool urgent = true, std::uint16_t round = 0) {
    return GossipItem{Digest(name), round, urgent, bytes_of(name)};
  }
};

TEST_F(PlumtreeTest, new_neighbours_start_eager) {
  for (int p : {1, 2, 3}) EXPECT_TRUE(tree.is_eager(peer_addr(p).id));
}

TEST_F(PlumtreeTest, a_broadcast_leaves_at_the_next_tick_as_one_gossip_per_eager_peer_carrying_every_payload) {
  EXPECT_TRUE(tree.broadcast(Digest("a"), bytes_of("a"), kT0, true));
  EXPECT_TRUE(tree.broadcast(Digest("b"), bytes_of("b"), kT0, true));
  EXPECT_TRUE(tree.take_actions().empty());  // nothing before the tick
  tree.tick(kT0);
  const auto gossips = sent<Gossip>(tree.take_actions());
  ASSERT_EQ(gossips.size(), 3u);
  for (const auto& [to, g] : gossips) {
    ASSERT_EQ(g.items.size(), 2u);
    EXPECT_EQ(g.items[0].id, Digest("a"));
    EXPECT_EQ(g.items[1].id, Digest("b"));
    EXPECT_EQ(g.items[0].round, 0);
  }
}

TEST_F(PlumtreeTest, a_broadcast_of_a_known_id_is_refused) {
  EXPECT_TRUE(tree.broadcast(Digest("a"), bytes_of("a"), kT0, true));
  EXPECT_FALSE(tree.broadcast(Digest("a"), bytes_of("a"), kT0, true));
}

TEST_F(PlumtreeTest, batched_payloads_wait_for_the_send_interval_then_leave_together) {
  ASSERT_TRUE(tree.broadcast(Digest("a"), bytes_of("a"), kT0, false));
  tree.tick(kT0);  // a quiet link sends at once
  ASSERT_EQ(sent<Gossip>(tree.take_actions()).size(), 3u);
  ASSERT_TRUE(tree.broadcast(Digest("b"), bytes_of("b"), kT0, false));
  ASSERT_TRUE(tree.broadcast(Digest("c"), bytes_of("c"), kT0, false));
  tree.tick(kT0 + config.send_interval - Instant{1});
  EXPECT_TRUE(sent<Gossip>(tree.take_actions()).empty());
  tree.tick(kT0 + config.send_interval);
  const auto gossips = sent<Gossip>(tree.take_actions());
  ASSERT_EQ(gossips.size(), 3u);
  for (const auto& [to, g] : gossips) EXPECT_EQ(g.items.size(), 2u);
}

TEST_F(PlumtreeTest, an_urgent_payload_skips_the_interval_and_takes_queued_ones_along) {
  ASSERT_TRUE(tree.broadcast(Digest("a"), bytes_of("a"), kT0, false));
  tree.tick(kT0);
  (void)tree.take_actions();
  ASSERT_TRUE(tree.broadcast(Digest("b"), bytes_of("b"), kT0, false));
  ASSERT_TRUE(tree.broadcast(Digest("c"), bytes_of("c"), kT0, true));
  tree.tick(kT0 + Instant{100});
  const auto gossips = sent<Gossip>(tree.take_actions());
  ASSERT_EQ(gossips.size(), 3u);
  for (const auto& [to, g] : gossips) EXPECT_EQ(g.items.size(), 2u);
}

TEST_F(PlumtreeTest, a_first_reception_is_delivered_pushed_to_eager_peers_and_announced_to_lazy_ones) {
  tree.handle(peer_addr(3).id, Prune{}, kT0);  // 3 becomes lazy
  tree.handle(peer_addr(1).id, Gossip{{item("m", true, 4)}}, kT0);
  tree.tick(kT0);
  const auto actions = tree.take_actions();
  const auto delivered = of_type<Deliver>(actions);
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].id, Digest("m"));
  EXPECT_EQ(delivered[0].payload, bytes_of("m"));
  const auto gossips = sent<Gossip>(actions);
  ASSERT_EQ(gossips.size(), 1u);  // to 2 only: not back to 1, and 3 is lazy
  EXPECT_EQ(gossips[0].first, peer_addr(2).id);
  EXPECT_EQ(gossips[0].second.items[0].round, 5);
  const auto ihaves = sent<IHave>(actions);
  ASSERT_EQ(ihaves.size(), 1u);
  EXPECT_EQ(ihaves[0].first, peer_addr(3).id);
  EXPECT_EQ(ihaves[0].second.ids[0].id, Digest("m"));
}

TEST_F(PlumtreeTest, a_gossip_of_only_duplicates_prunes_its_sender) {
  tree.handle(peer_addr(1).id, Gossip{{item("m")}}, kT0);
  (void)tree.take_actions();
  tree.handle(peer_addr(2).id, Gossip{{item("m")}}, kT0);
  EXPECT_TRUE(tree.is_lazy(peer_addr(2).id));
  EXPECT_TRUE(tree.is_eager(peer_addr(1).id));
  EXPECT_EQ(tree.stats().duplicates, 1u);
  tree.tick(kT0);
  const auto actions = tree.take_actions();
  EXPECT_TRUE(of_type<Deliver>(actions).empty());  // never delivered twice
  const auto prunes = sent<Prune>(actions);
  ASSERT_EQ(prunes.size(), 1u);
  EXPECT_EQ(prunes[0].first, peer_addr(2).id);
}

TEST_F(PlumtreeTest, a_gossip_with_anything_new_keeps_its_sender_eager) {
  tree.handle(peer_addr(1).id, Gossip{{item("m")}}, kT0);
  tree.handle(peer_addr(2).id, Gossip{{item("m"), item("n")}}, kT0);
  EXPECT_TRUE(tree.is_eager(peer_addr(2).id));
}

TEST_F(PlumtreeTest, prune_makes_the_sender_lazy) {
  tree.handle(peer_addr(1).id, Prune{}, kT0);
  EXPECT_TRUE(tree.is_lazy(peer_addr(1).id));
}

TEST_F(PlumtreeTest, a_missing_id_is_grafted_after_the_timeout_then_from_the_next_announcer) {
  tree.handle(peer_addr(1).id, IHave{{Announcement{Digest("m"), 1, true}}}, kT0);
  tree.handle(peer_addr(2).id, IHave{{Announcement{Digest("m"), 1, true}}}, kT0);
  EXPECT_TRUE(tree.awaiting(Digest("m")));
  tree.tick(kT0 + config.graft_timeout - Instant{1});
  EXPECT_TRUE(sent<Graft>(tree.take_actions()).empty());
  tree.tick(kT0 + config.graft_timeout);
  auto grafts = sent<Graft>(tree.take_actions());
  ASSERT_EQ(grafts.size(), 1u);
  EXPECT_EQ(grafts[0].first, peer_addr(1).id);
  EXPECT_EQ(grafts[0].second.ids, std::vector<MessageId>{Digest("m")});
  EXPECT_TRUE(tree.is_eager(peer_addr(1).id));
  tree.tick(kT0 + config.graft_timeout + config.graft_retry_timeout);
  grafts = sent<Graft>(tree.take_actions());
  ASSERT_EQ(grafts.size(), 1u);
  EXPECT_EQ(grafts[0].first, peer_addr(2).id);
  // Arrival ends the wait.
  tree.handle(peer_addr(2).id, Gossip{{item("m")}}, kT0 + Instant{5000});
  EXPECT_FALSE(tree.awaiting(Digest("m")));
}

TEST_F(PlumtreeTest, a_batched_announcement_waits_longer_before_a_graft) {
  tree.handle(peer_addr(1).id, IHave{{Announcement{Digest("m"), 1, false}}}, kT0);
  tree.tick(kT0 + config.graft_timeout);
  EXPECT_TRUE(sent<Graft>(tree.take_actions()).empty());
  tree.tick(kT0 + config.batched_graft_timeout);
  EXPECT_EQ(sent<Graft>(tree.take_actions()).size(), 1u);
}

TEST_F(PlumtreeTest, a_graft_is_answered_with_the_stored_payload_at_the_next_tick) {
  ASSERT_TRUE(tree.broadcast(Digest("a"), bytes_of("a"), kT0, false));
  tree.tick(kT0);
  (void)tree.take_actions();
  tree.handle(peer_addr(2).id, Prune{}, kT0);
  tree.handle(peer_addr(2).id, Graft{{Digest("a"), Digest("unknown")}}, kT0);
  EXPECT_TRUE(tree.is_eager(peer_addr(2).id));
  EXPECT_EQ(tree.anomalies(BroadcastAnomaly::kGraftUnknown), 1u);
  tree.tick(kT0 + Instant{100});  // within the send interval, but a grafting peer waits
  const auto gossips = sent<Gossip>(tree.take_actions());
  ASSERT_EQ(gossips.size(), 1u);
  EXPECT_EQ(gossips[0].first, peer_addr(2).id);
  EXPECT_EQ(gossips[0].second.items[0].payload, bytes_of("a"));
}

TEST_F(PlumtreeTest, control_messages_from_non_neighbours_are_ignored_and_counted) {
  tree.handle(peer_addr(9).id, IHave{{Announcement{Digest("m"), 1, true}}}, kT0);
  tree.handle(peer_addr(9).id, Graft{{Digest("m")}}, kT0);
  tree.handle(peer_addr(9).id, Prune{}, kT0);
  EXPECT_EQ(tree.anomalies(BroadcastAnomaly::kNotANeighbor), 3u);
  EXPECT_FALSE(tree.awaiting(Digest("m")));
}

TEST_F(PlumtreeTest, a_departed_neighbour_gets_nothing_more) {
  tree.neighbor_down(peer_addr(1).id);
  ASSERT_TRUE(tree.broadcast(Digest("a"), bytes_of("a"), kT0, true));
  tree.tick(kT0);
  for (const auto& [to, g] : sent<Gossip>(tree.take_actions())) EXPECT_NE(to, peer_addr(1).id);
  EXPECT_EQ(tree.neighbor_count(), 2u);
}

TEST_F(PlumtreeTest, oversized_inputs_are_clipped_and_counted) {
  PlumtreeConfig small{.max_gossip_items = 2, .max_ids_per_message = 2};
  Plumtree t(peer_addr(0).id, small);
  t.neighbor_up(peer_addr(1), Instant{0});
  t.handle(peer_addr(1).id, Gossip{{item("a"), item("b"), item("c")}}, kT0);
  EXPECT_EQ(t.stats().delivered, 2u);
  t.handle(peer_addr(1).id,
           IHave{{Announcement{Digest("x")}, Announcement{Digest("y")}, Announcement{Digest("z")}}}, kT0);
  EXPECT_FALSE(t.awaiting(Digest("z")));
  EXPECT_EQ(t.anomalies(BroadcastAnomaly::kItemsClipped), 2u);
}

TEST_F(PlumtreeTest, the_missing_table_is_bounded) {
  PlumtreeConfig small{.max_missing_ids = 1};
  Plumtree t(peer_addr(0).id, small);
  t.neighbor_up(peer_addr(1), Instant{0});
  t.handle(peer_addr(1).id, IHave{{Announcement{Digest("x")}, Announcement{Digest("y")}}}, kT0);
  EXPECT_TRUE(t.awaiting(Digest("x")));
  EXPECT_FALSE(t.awaiting(Digest("y")));
  EXPECT_EQ(t.anomalies(BroadcastAnomaly::kMissingTableFull), 1u);
}

TEST_F(PlumtreeTest, one_gossip_respects_the_item_bound_and_the_rest_follows) {
  PlumtreeConfig small{.max_gossip_items = 2};
  Plumtree t(peer_addr(0).id, small);
  t.neighbor_up(peer_addr(1), Instant{0});
  for (auto name : {"a", "b", "c"}) ASSERT_TRUE(t.broadcast(Digest(name), bytes_of(name), kT0, true));
  t.tick(kT0);
  auto gossips = sent<Gossip>(t.take_actions());
  ASSERT_EQ(gossips.size(), 1u);
  EXPECT_EQ(gossips[0].second.items.size(), 2u);
  t.tick(kT0 + Instant{100});  // the remainder is urgent too
  gossips = sent<Gossip>(t.take_actions());
  ASSERT_EQ(gossips.size(), 1u);
  EXPECT_EQ(gossips[0].second.items.size(), 1u);
}

// A node that joins the tree after a broadcast (or whose queued copy left with a departed
// neighbour) is sent the payloads of the last catch_up_window by each new neighbour, at the
// next tick; older payloads are not sent.
TEST_F(PlumtreeTest, a_new_neighbour_is_sent_recent_broadcasts_only) {
  ASSERT_TRUE(tree.broadcast(Digest("old"), bytes_of("old"), kT0, true));
  const Instant later = kT0 + config.catch_up_window + Instant{1};
  ASSERT_TRUE(tree.broadcast(Digest("recent"), bytes_of("recent"), later, false));
  tree.tick(later);
  (void)tree.take_actions();

  tree.neighbor_up(peer_addr(4), later + Instant{1});
  tree.tick(later + Instant{2});
  const auto gossips = sent<Gossip>(tree.take_actions());
  ASSERT_EQ(gossips.size(), 1u);
  EXPECT_EQ(gossips[0].first, peer_addr(4).id);
  ASSERT_EQ(gossips[0].second.items.size(), 1u);
  EXPECT_EQ(gossips[0].second.items[0].id, Digest("recent"));
}

TEST(MessageStore, lists_what_was_stored_since_a_time_oldest_first) {
  MessageStore store({.retention = Instant{1000}});
  store.put(GossipItem{Digest("a"), 0, false, wire::Bytes(1, 1)}, Instant{0});
  store.put(GossipItem{Digest("b"), 0, false, wire::Bytes(1, 2)}, Instant{10});
  store.put(GossipItem{Digest("c"), 0, false, wire::Bytes(1, 3)}, Instant{20});
  const auto since = store.stored_since(Instant{10});
  ASSERT_EQ(since.size(), 2u);
  EXPECT_EQ(since[0]->id, Digest("b"));
  EXPECT_EQ(since[1]->id, Digest("c"));
  EXPECT_TRUE(store.stored_since(Instant{21}).empty());
}

TEST(ReceivedCache, forgets_ids_after_the_ttl_and_the_oldest_beyond_capacity) {
  ReceivedCache seen(2, Instant{1000});
  EXPECT_TRUE(seen.insert(Digest("a"), Instant{0}));
  EXPECT_FALSE(seen.insert(Digest("a"), Instant{1}));
  EXPECT_TRUE(seen.insert(Digest("b"), Instant{500}));
  EXPECT_TRUE(seen.insert(Digest("c"), Instant{600}));  // evicts a
  EXPECT_FALSE(seen.contains(Digest("a")));
  EXPECT_EQ(seen.size(), 2u);
  seen.expire(Instant{1500});
  EXPECT_FALSE(seen.contains(Digest("b")));
  EXPECT_TRUE(seen.contains(Digest("c")));
}

TEST(MessageStore, is_bounded_by_bytes_count_and_age) {
  MessageStore store({.retention = Instant{1000}, .max_messages = 3, .max_bytes = 10});
  store.put(GossipItem{Digest("a"), 0, false, wire::Bytes(6, 1)}, Instant{0});
  store.put(GossipItem{Digest("b"), 0, false, wire::Bytes(6, 2)}, Instant{10});  // 12 bytes: a goes
  EXPECT_EQ(store.get(Digest("a")), nullptr);
  ASSERT_NE(store.get(Digest("b")), nullptr);
  EXPECT_EQ(store.bytes(), 6u);
  store.put(GossipItem{Digest("too-big"), 0, false, wire::Bytes(11, 3)}, Instant{20});
  EXPECT_EQ(store.get(Digest("too-big")), nullptr);
  store.expire(Instant{1010});
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.bytes(), 0u);
}

}  // namespace
}  // namespace plumtree_test
}  // namespace mosaik::discovery::gossip
