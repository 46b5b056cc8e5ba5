// HyParView membership, claim by claim (section numbers from Leitão et al., "HyParView",
// DSN 2007). The core is driven directly; its outputs are inspected as actions.

#include <gtest/gtest.h>

#include <algorithm>

#include "gossip/hyparview.hpp"
#include "gossip_test_peers.hpp"

namespace mosaik::discovery::gossip {
namespace hyparview_test {
namespace {

using test::of_type;
using test::peer_addr;
using test::sent;

constexpr Instant kT0{1'000};

struct HyParViewTest : ::testing::Test {
  HyParViewConfig config{.active_view_size = 3, .passive_view_size = 4};
  HyParView view{peer_addr(0), config, 42};

  // Makes peers[i] active neighbours through high-priority Neighbor requests.
  void befriend(std::initializer_list<int> peers) {
    for (int p : peers) view.handle(peer_addr(p).id, Neighbor{peer_addr(p), true}, kT0);
    (void)view.take_actions();
  }
  void add_passive(std::initializer_list<int> peers) {
    // A shuffle walk ending here integrates its entries into the passive view.
    std::vector<EndpointAddr> entries;
    for (int p : peers) entries.push_back(peer_addr(p));
    view.handle(peer_addr(99).id, Shuffle{peer_addr(99), 0, entries}, kT0);
    (void)view.take_actions();
  }
};

TEST_F(HyParViewTest, join_sends_join_to_the_contact_and_waits_for_its_neighbor_request) {
  const std::vector<EndpointAddr> contacts{peer_addr(1)};
  view.join(contacts, kT0);
  const auto actions = view.take_actions();
  const auto joins = sent<Join>(actions);
  ASSERT_EQ(joins.size(), 1u);
  EXPECT_EQ(joins[0].first, peer_addr(1).id);
  EXPECT_EQ(joins[0].second.sender, peer_addr(0));
  EXPECT_TRUE(view.active_view().empty());

  view.handle(peer_addr(1).id, Neighbor{peer_addr(1), true}, kT0);
  EXPECT_TRUE(view.active_view().contains(peer_addr(1).id));
  const auto reply = sent<NeighborReply>(view.take_actions());
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_TRUE(reply[0].second.accepted);
}

TEST_F(HyParViewTest, an_isolated_node_retries_join_with_the_next_contact) {
  const std::vector<EndpointAddr> contacts{peer_addr(1), peer_addr(2)};
  view.join(contacts, kT0);
  (void)view.take_actions();
  view.tick(kT0 + config.join_retry_interval - Instant{1});
  EXPECT_TRUE(sent<Join>(view.take_actions()).empty());
  view.tick(kT0 + config.join_retry_interval);
  const auto joins = sent<Join>(view.take_actions());
  ASSERT_EQ(joins.size(), 1u);
  EXPECT_EQ(joins[0].first, peer_addr(2).id);
}

TEST_F(HyParViewTest, the_contact_accepts_a_join_and_forwards_it_to_its_other_active_peers) {
  befriend({1, 2});
  view.handle(peer_addr(5).id, Join{peer_addr(5)}, kT0);
  const auto actions = view.take_actions();
  EXPECT_TRUE(view.active_view().contains(peer_addr(5).id));
  ASSERT_EQ(of_type<Connect>(actions).size(), 1u);
  const auto neighbor = sent<Neighbor>(actions);
  ASSERT_EQ(neighbor.size(), 1u);
  EXPECT_TRUE(neighbor[0].second.high_priority);
  const auto forwards = sent<ForwardJoin>(actions);
  ASSERT_EQ(forwards.size(), 2u);  // to 1 and 2, not back to 5
  for (const auto& [to, fj] : forwards) {
    EXPECT_NE(to, peer_addr(5).id);
    EXPECT_EQ(fj.ttl, config.active_random_walk_length);
    EXPECT_EQ(fj.new_node, peer_addr(5));
  }
}

// A neighbour that restarted with the same key on a new port joins again: the view takes its
// new address and connects again (the shell drops its link to the old process), and a
// repeated join from the same address changes nothing.
TEST_F(HyParViewTest, a_neighbour_joining_again_from_a_new_address_replaces_its_address_and_connects_again) {
  befriend({1, 2});
  EndpointAddr restarted = peer_addr(1);
  restarted.direct_addresses = {SocketAddr(asio::ip::make_address("127.0.0.1"), 30'001)};
  view.handle(restarted.id, Join{restarted}, kT0);
  auto actions = view.take_actions();
  EXPECT_EQ(view.active_view().at(restarted.id), restarted);
  const auto connects = of_type<Connect>(actions);
  ASSERT_EQ(connects.size(), 1u);
  EXPECT_EQ(connects[0].peer, restarted);
  const auto neighbor = sent<Neighbor>(actions);
  ASSERT_EQ(neighbor.size(), 1u);
  EXPECT_EQ(neighbor[0].first, restarted.id);

  view.handle(restarted.id, Neighbor{restarted, true}, kT0);
  EXPECT_TRUE(of_type<Connect>(view.take_actions()).empty());
  EXPECT_EQ(view.active_view().size(), 2u);
}

TEST_F(HyParViewTest, forward_join_at_ttl_zero_adds_the_new_node_and_asks_it_with_high_priority) {
  befriend({1, 2});
  view.handle(peer_addr(1).id, ForwardJoin{peer_addr(7), 0}, kT0);
  EXPECT_TRUE(view.active_view().contains(peer_addr(7).id));
  const auto neighbor = sent<Neighbor>(view.take_actions());
  ASSERT_EQ(neighbor.size(), 1u);
  EXPECT_EQ(neighbor[0].first, peer_addr(7).id);
  EXPECT_TRUE(neighbor[0].second.high_priority);
}

TEST_F(HyParViewTest, forward_join_at_prwl_enters_the_passive_view_and_walks_on) {
  befriend({1, 2});
  view.handle(peer_addr(1).id, ForwardJoin{peer_addr(7), config.passive_random_walk_length}, kT0);
  EXPECT_FALSE(view.active_view().contains(peer_addr(7).id));
  EXPECT_TRUE(view.passive_view().contains(peer_addr(7).id));
  const auto forwards = sent<ForwardJoin>(view.take_actions());
  ASSERT_EQ(forwards.size(), 1u);
  EXPECT_EQ(forwards[0].first, peer_addr(2).id);  // never back to the sender
  EXPECT_EQ(forwards[0].second.ttl, config.passive_random_walk_length - 1);
}

TEST_F(HyParViewTest, an_overlong_walk_is_clipped_and_counted) {
  befriend({1, 2});
  view.handle(peer_addr(1).id, ForwardJoin{peer_addr(7), 200}, kT0);
  EXPECT_EQ(view.anomalies(MembershipAnomaly::kTtlClipped), 1u);
  const auto forwards = sent<ForwardJoin>(view.take_actions());
  ASSERT_EQ(forwards.size(), 1u);
  EXPECT_EQ(forwards[0].second.ttl, config.active_random_walk_length - 1);
}

TEST_F(HyParViewTest, a_full_active_view_drops_a_random_peer_with_disconnect_and_stays_bounded) {
  befriend({1, 2, 3});
  view.handle(peer_addr(4).id, Neighbor{peer_addr(4), true}, kT0);
  const auto actions = view.take_actions();
  EXPECT_EQ(view.active_view().size(), config.active_view_size);
  EXPECT_TRUE(view.active_view().contains(peer_addr(4).id));
  const auto disconnects = sent<Disconnect>(actions);
  ASSERT_EQ(disconnects.size(), 1u);
  const PeerId dropped = disconnects[0].first;
  EXPECT_TRUE(view.passive_view().contains(dropped));
  const auto closes = of_type<Close>(actions);
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_EQ(closes[0].peer, dropped);
}

TEST_F(HyParViewTest, a_low_priority_neighbor_request_is_accepted_only_with_room) {
  befriend({1, 2});
  view.handle(peer_addr(3).id, Neighbor{peer_addr(3), false}, kT0);
  auto replies = sent<NeighborReply>(view.take_actions());
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(replies[0].second.accepted);

  view.handle(peer_addr(4).id, Neighbor{peer_addr(4), false}, kT0);
  replies = sent<NeighborReply>(view.take_actions());
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_FALSE(replies[0].second.accepted);
  EXPECT_FALSE(view.active_view().contains(peer_addr(4).id));
  EXPECT_TRUE(view.passive_view().contains(peer_addr(4).id));
}

TEST_F(HyParViewTest, disconnect_moves_the_peer_to_the_passive_view) {
  befriend({1, 2});
  view.handle(peer_addr(1).id, Disconnect{}, kT0);
  EXPECT_FALSE(view.active_view().contains(peer_addr(1).id));
  EXPECT_TRUE(view.passive_view().contains(peer_addr(1).id));
  EXPECT_EQ(of_type<Close>(view.take_actions()).size(), 1u);
}

TEST_F(HyParViewTest, a_failed_active_peer_is_replaced_from_the_passive_view) {
  befriend({1});
  add_passive({5});
  view.peer_down(peer_addr(1).id, kT0);
  auto actions = view.take_actions();
  EXPECT_TRUE(view.active_view().empty());
  EXPECT_FALSE(view.passive_view().contains(peer_addr(1).id));  // failed: not a repair candidate
  view.tick(kT0);
  actions = view.take_actions();
  // Isolated: every passive peer (up to the free slots) is asked, with high priority.
  const auto requests = sent<Neighbor>(actions);
  ASSERT_EQ(requests.size(), view.passive_view().size());
  EXPECT_TRUE(std::any_of(requests.begin(), requests.end(), [](const auto& r) { return r.first == peer_addr(5).id; }));
  for (const auto& r : requests) EXPECT_TRUE(r.second.high_priority);

  view.handle(peer_addr(5).id, NeighborReply{peer_addr(5), true}, kT0);
  EXPECT_TRUE(view.active_view().contains(peer_addr(5).id));
}

TEST_F(HyParViewTest, a_node_with_neighbours_asks_with_low_priority_and_backs_off_after_refusal) {
  befriend({1});
  add_passive({5, 6});
  view.tick(kT0);
  auto requests = sent<Neighbor>(view.take_actions());
  ASSERT_EQ(requests.size(), 1u);  // one at a time
  EXPECT_FALSE(requests[0].second.high_priority);
  view.handle(requests[0].first, NeighborReply{requests[0].first == peer_addr(5).id ? peer_addr(5) : peer_addr(6), false},
              kT0);
  view.tick(kT0 + config.refill_backoff_min - Instant{1});
  EXPECT_TRUE(sent<Neighbor>(view.take_actions()).empty());
  view.tick(kT0 + config.refill_backoff_min);
  EXPECT_EQ(sent<Neighbor>(view.take_actions()).size(), 1u);
}

TEST_F(HyParViewTest, an_unanswered_neighbor_request_times_out_and_the_peer_is_forgotten) {
  befriend({1});
  add_passive({5});
  view.tick(kT0);
  ASSERT_EQ(sent<Neighbor>(view.take_actions()).size(), 1u);
  view.tick(kT0 + config.neighbor_timeout);
  EXPECT_FALSE(view.passive_view().contains(peer_addr(5).id));
}

TEST_F(HyParViewTest, shuffles_start_on_the_period_with_at_most_k_entries) {
  befriend({1, 2, 3});
  add_passive({5, 6, 7, 8});
  Instant t = kT0;
  std::size_t shuffles = 0;
  // Bounded: two and a half periods of 100 ms ticks.
  for (int i = 0; i < 250; ++i, t += Instant{100}) {
    view.tick(t);
    for (const auto& [to, s] : sent<Shuffle>(view.take_actions())) {
      ++shuffles;
      EXPECT_TRUE(view.active_view().contains(to));
      EXPECT_LE(s.peers.size(), config.shuffle_size());
      EXPECT_EQ(s.origin, peer_addr(0));
      EXPECT_EQ(s.ttl, config.active_random_walk_length);
    }
  }
  EXPECT_GE(shuffles, 2u);
  EXPECT_LE(shuffles, 4u);
}

TEST_F(HyParViewTest, a_shuffle_ending_here_is_answered_and_the_passive_view_stays_bounded) {
  befriend({1});
  add_passive({5, 6});
  const std::vector<EndpointAddr> entries{peer_addr(20), peer_addr(21), peer_addr(22), peer_addr(23)};
  view.handle(peer_addr(1).id, Shuffle{peer_addr(20), 1, entries}, kT0);
  const auto replies = sent<ShuffleReply>(view.take_actions());
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].first, peer_addr(20).id);  // straight to the origin
  EXPECT_LE(view.passive_view().size(), config.passive_view_size);
  EXPECT_TRUE(view.passive_view().contains(peer_addr(20).id));
}

TEST_F(HyParViewTest, an_oversized_shuffle_is_clipped_and_counted) {
  befriend({1});
  std::vector<EndpointAddr> entries;
  for (int i = 20; i < 40; ++i) entries.push_back(peer_addr(i));
  view.handle(peer_addr(1).id, Shuffle{peer_addr(20), 0, entries}, kT0);
  EXPECT_EQ(view.anomalies(MembershipAnomaly::kPeersClipped), 1u);
  EXPECT_LE(view.passive_view().size(), config.passive_view_size);
}

TEST_F(HyParViewTest, an_unsolicited_shuffle_reply_is_ignored_and_counted) {
  view.handle(peer_addr(1).id, ShuffleReply{{peer_addr(20)}}, kT0);
  EXPECT_EQ(view.anomalies(MembershipAnomaly::kUnsolicitedShuffleReply), 1u);
  EXPECT_TRUE(view.passive_view().empty());
}

TEST_F(HyParViewTest, a_message_naming_another_sender_is_ignored_and_counted) {
  view.handle(peer_addr(1).id, Join{peer_addr(2)}, kT0);
  view.handle(peer_addr(1).id, Neighbor{peer_addr(2), true}, kT0);
  EXPECT_EQ(view.anomalies(MembershipAnomaly::kSenderMismatch), 2u);
  EXPECT_TRUE(view.active_view().empty());
  EXPECT_TRUE(view.take_actions().empty());
}

// Issue 14, item 5: a node met only through a catalog sync (sync_with, a dial) must still
// end up in the overlay.
TEST_F(HyParViewTest, an_isolated_node_without_contacts_asks_a_learned_peer_to_be_its_neighbour) {
  view.learn(peer_addr(1), kT0);
  const auto requests = sent<Neighbor>(view.take_actions());
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].first, peer_addr(1).id);
  EXPECT_TRUE(requests[0].second.high_priority);
  view.handle(peer_addr(1).id, NeighborReply{peer_addr(1), true}, kT0);
  EXPECT_TRUE(view.active_view().contains(peer_addr(1).id));
}

TEST_F(HyParViewTest, a_connected_node_keeps_a_learned_peer_as_a_passive_candidate) {
  befriend({1});
  view.learn(peer_addr(2), kT0);
  EXPECT_TRUE(sent<Neighbor>(view.take_actions()).empty());
  EXPECT_TRUE(view.passive_view().contains(peer_addr(2).id));
  view.learn(peer_addr(1), kT0);  // already a neighbour: nothing changes
  EXPECT_TRUE(view.take_actions().empty());
  EXPECT_FALSE(view.passive_view().contains(peer_addr(1).id));
}

TEST_F(HyParViewTest, a_joining_node_leaves_a_learned_peer_to_the_tick) {
  const std::vector<EndpointAddr> contacts{peer_addr(1)};
  view.join(contacts, kT0);
  (void)view.take_actions();
  view.learn(peer_addr(2), kT0);
  EXPECT_TRUE(sent<Neighbor>(view.take_actions()).empty());
  EXPECT_TRUE(view.passive_view().contains(peer_addr(2).id));
}

}  // namespace
}  // namespace hyparview_test
}  // namespace mosaik::discovery::gossip
