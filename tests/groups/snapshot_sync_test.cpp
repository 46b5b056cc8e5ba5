// Snapshot state sync without a network: the wire messages' checks, what a member holds and
// serves, and the fetch spreading batches over members (served by HeldSnapshots behind a
// fake bond that delivers on the executor).
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/use_future.hpp>

#include <chrono>
#include <map>
#include <set>

#include "groups/sync/held_snapshots.hpp"
#include "groups/sync/messages.hpp"
#include "groups/sync/snapshot_fetch.hpp"

namespace mosaik::groups::detail {
namespace snapshot_sync_test {
namespace {

using namespace std::chrono_literals;

raft::SnapshotPoint point_at(std::uint64_t index) {
  raft::SnapshotPoint p;
  p.cursor = Cursor{Term(2), Index(index)};
  p.membership.voters = {Digest::from_u64(1)};
  return p;
}

std::vector<SnapshotItem> items(std::size_t n, std::size_t value_bytes = 4) {
  std::vector<SnapshotItem> out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(SnapshotItem{wire::Bytes{static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8)},
                               wire::Bytes(value_bytes, static_cast<std::uint8_t>(i))});
  return out;
}

TEST(SyncMessages, a_fetch_of_no_items_or_beyond_the_bound_an_unknown_kind_and_a_bad_offer_are_refused) {
  SyncMessage m;
  m.kind = static_cast<std::uint8_t>(SyncKind::Fetch);
  m.count = 0;
  EXPECT_FALSE(decode_sync(encode_sync(m)).has_value());
  m.count = kMaxFetchItems + 1;
  EXPECT_FALSE(decode_sync(encode_sync(m)).has_value());
  m.count = 10;
  EXPECT_TRUE(decode_sync(encode_sync(m)).has_value());
  m.kind = 42;
  EXPECT_FALSE(decode_sync(encode_sync(m)).has_value());
  SyncMessage offer;
  offer.kind = static_cast<std::uint8_t>(SyncKind::Offer);
  offer.index = 20;
  offer.point = point_at(30);  // names another index than it offers
  EXPECT_FALSE(decode_sync(encode_sync(offer)).has_value());
  offer.point = point_at(20);
  EXPECT_TRUE(decode_sync(encode_sync(offer)).has_value());
  offer.point.membership.voters.clear();  // a point without voters is no group's state
  EXPECT_FALSE(decode_sync(encode_sync(offer)).has_value());
  SyncMessage batch;
  batch.kind = static_cast<std::uint8_t>(SyncKind::Batch);
  EXPECT_FALSE(decode_sync(encode_sync(batch)).has_value());
  const wire::Bytes garbage{0xc1, 0x00, 0xff};
  EXPECT_FALSE(decode_sync(garbage).has_value());
}

TEST(HeldSnapshots, the_newest_is_offered_a_superseded_one_is_served_until_unused_for_the_ttl) {
  HeldSnapshots held(10s);
  const raft::Time t0 = 100s;
  held.hold(point_at(50), SnapshotCapture(items(5)), t0);
  EXPECT_EQ(held.newest_from(Index(60), t0), nullptr);
  ASSERT_NE(held.newest_from(Index(50), t0), nullptr);
  held.hold(point_at(100), SnapshotCapture(items(7)), t0 + 1s);
  EXPECT_EQ(held.newest_from(Index(1), t0 + 1s)->point.cursor.index, Index(100));
  // A fetch keeps the superseded one alive ...
  EXPECT_TRUE(held.batch(Index(50), 0, 2, t0 + 9s).has_value());
  EXPECT_TRUE(held.batch(Index(50), 2, 2, t0 + 18s).has_value());
  // ... until nothing used it for the ttl; the newest stays regardless.
  EXPECT_FALSE(held.batch(Index(50), 0, 2, t0 + 29s).has_value());
  EXPECT_TRUE(held.batch(Index(100), 0, 2, t0 + 100s).has_value());
  EXPECT_EQ(held.size(), 1u);
}

TEST(HeldSnapshots, a_superseded_snapshot_nobody_fetched_is_dropped_at_once) {
  HeldSnapshots held(10s);
  for (std::uint64_t i = 1; i <= 20; ++i) held.hold(point_at(i * 50), SnapshotCapture(items(3)), std::chrono::seconds(i));
  EXPECT_EQ(held.size(), 1u) << "a busy group would keep every snapshot of the last ttl";
  EXPECT_FALSE(held.batch(Index(950), 0, 1, 20s).has_value());
  EXPECT_TRUE(held.batch(Index(1000), 0, 1, 20s).has_value());
}

TEST(HeldSnapshots, a_batch_stops_at_the_count_the_end_and_the_byte_bound_but_always_carries_one_item) {
  HeldSnapshots held(10s);
  held.hold(point_at(10), SnapshotCapture(items(10)), 0s);
  EXPECT_EQ(held.batch(Index(10), 0, 4, 0s)->size(), 4u);
  EXPECT_EQ(held.batch(Index(10), 8, 4, 0s)->size(), 2u);
  EXPECT_TRUE(held.batch(Index(10), 10, 4, 0s)->empty());
  EXPECT_FALSE(held.batch(Index(20), 0, 4, 0s).has_value());
  HeldSnapshots big(10s);
  big.hold(point_at(10), SnapshotCapture(items(5, 3 << 20)), 0s);  // 3 MiB values: two fit a batch
  const auto b = big.batch(Index(10), 0, 5, 0s);
  EXPECT_EQ(b->size(), 2u);
  HeldSnapshots huge(10s);
  huge.hold(point_at(10), SnapshotCapture(items(2, kMaxBatchBytes + 1)), 0s);
  EXPECT_EQ(huge.batch(Index(10), 0, 2, 0s)->size(), 1u);
}

TEST(HeldSnapshots, a_capture_is_encoded_only_when_a_member_asks_for_it_and_then_once) {
  HeldSnapshots held(10s);
  auto calls = std::make_shared<int>(0);
  auto capture = [calls](std::size_t n) {
    return SnapshotCapture(SnapshotCapture::Encoder([calls, n] {
      ++*calls;
      return items(n);
    }));
  };
  for (std::uint64_t i = 1; i <= 20; ++i) held.hold(point_at(i * 50), capture(i), std::chrono::seconds(i));
  EXPECT_EQ(*calls, 0) << "a snapshot point encoded a snapshot nobody asked for";
  const auto* newest = held.newest_from(Index(1), 20s);
  ASSERT_NE(newest, nullptr);
  EXPECT_EQ(newest->items->size(), 20u);
  for (std::uint64_t offset = 0; offset < 20; offset += 3) EXPECT_TRUE(held.batch(Index(1000), offset, 3, 20s));
  EXPECT_EQ(held.batch(Index(1000), 0, 20, 20s).value(), items(20));
  EXPECT_EQ(*calls, 1);
  EXPECT_EQ(held.encodes(), 1u);
}

// Members behind fake bonds: each serves from its HeldSnapshots, or misbehaves as told.
struct FakeMembers {
  enum class Behaviour { Serve, Gone, Silent };
  asio::io_context io;
  std::map<PeerId, HeldSnapshots> held;
  std::map<PeerId, Behaviour> behaviour;
  std::map<PeerId, std::size_t> fetches;  // Fetch requests each member answered with a batch
  std::shared_ptr<SnapshotFetch> fetch;
  raft::Time now{0};

  PeerId add(Behaviour b, std::optional<std::pair<std::uint64_t, std::size_t>> snapshot) {
    const PeerId p = SecretKey::generate().public_key();
    behaviour[p] = b;
    auto [it, _] = held.emplace(p, HeldSnapshots(10s));
    if (snapshot) it->second.hold(point_at(snapshot->first), SnapshotCapture(items(snapshot->second)), now);
    return p;
  }

  bool send(const PeerId& to, const SyncMessage& m) {
    asio::post(io, [this, to, m] {
      SyncMessage answer;
      answer.request = m.request;
      answer.index = m.index;
      auto& h = held.at(to);
      if (m.sync_kind() == SyncKind::Query) {
        answer.kind = static_cast<std::uint8_t>(SyncKind::Offer);
        answer.index = 0;
        if (const auto* s = h.newest_from(Index(m.index), now)) {
          answer.index = s->point.cursor.index.value;
          answer.point = s->point;
          answer.count = s->items->size();
        }
      } else {
        if (behaviour[to] == Behaviour::Silent) return;
        auto b = behaviour[to] == Behaviour::Gone ? std::nullopt : h.batch(Index(m.index), m.offset, m.count, now);
        if (b && !b->empty()) {
          ++fetches[to];
          answer.kind = static_cast<std::uint8_t>(SyncKind::Batch);
          answer.offset = m.offset;
          answer.items = std::move(*b);
        } else {
          answer.kind = static_cast<std::uint8_t>(SyncKind::Gone);
        }
      }
      // Through the codec, as over a bond.
      auto decoded = decode_sync(encode_sync(answer));
      ASSERT_TRUE(decoded.has_value()) << decoded.error();
      if (fetch->owns(decoded->request)) fetch->on_reply(to, std::move(*decoded));
    });
    return true;
  }

  std::expected<FetchedSnapshot, std::string> run(Index least, SyncConfig config) {
    std::vector<PeerId> sources;
    for (const auto& [p, b] : behaviour) sources.push_back(p);
    fetch = std::make_shared<SnapshotFetch>([this](const PeerId& p, const SyncMessage& m) { return send(p, m); },
                                            config, [] { return std::chrono::steady_clock::now().time_since_epoch(); },
                                            1);
    auto result = asio::co_spawn(io, fetch->run(least, sources), asio::use_future);
    io.run_for(30s);
    return result.get();
  }
};

SyncConfig small_batches() {
  SyncConfig c;
  c.fetch_batch_size = 10;
  c.fetch_timeout = 300ms;
  c.snapshot_request_timeout = 3s;
  return c;
}

TEST(SnapshotFetch, batches_are_spread_over_every_member_holding_the_snapshot_and_come_back_in_order) {
  FakeMembers m;
  for (int i = 0; i < 3; ++i) (void)m.add(FakeMembers::Behaviour::Serve, std::pair{100, 95});
  auto got = m.run(Index(60), small_batches());
  ASSERT_TRUE(got.has_value()) << got.error();
  EXPECT_EQ(got->point, point_at(100));
  EXPECT_EQ(got->items, items(95));
  EXPECT_EQ(got->served_by.size(), 3u);
  for (const auto& [p, n] : m.fetches) EXPECT_GE(n, 2u) << "a member served fewer than two of ten batches";
}

TEST(SnapshotFetch, a_member_that_answers_gone_or_stays_silent_loses_its_batches_to_the_others) {
  FakeMembers m;
  const auto good = m.add(FakeMembers::Behaviour::Serve, std::pair{100, 95});
  const auto gone = m.add(FakeMembers::Behaviour::Gone, std::pair{100, 95});
  const auto silent = m.add(FakeMembers::Behaviour::Silent, std::pair{100, 95});
  auto got = m.run(Index(60), small_batches());
  ASSERT_TRUE(got.has_value()) << got.error();
  EXPECT_EQ(got->items, items(95));
  EXPECT_EQ(got->served_by, std::set<PeerId>{good});
  EXPECT_FALSE(m.fetches.contains(gone));
  EXPECT_FALSE(m.fetches.contains(silent));
}

TEST(SnapshotFetch, when_every_source_fails_the_attempt_fails_with_a_reason_in_bounded_time) {
  FakeMembers m;
  (void)m.add(FakeMembers::Behaviour::Silent, std::pair{100, 95});
  (void)m.add(FakeMembers::Behaviour::Gone, std::pair{100, 95});
  const auto t0 = std::chrono::steady_clock::now();
  auto got = m.run(Index(60), small_batches());
  ASSERT_FALSE(got.has_value());
  EXPECT_NE(got.error().find("every source"), std::string::npos) << got.error();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
}

TEST(SnapshotFetch, the_index_most_members_hold_is_chosen_and_none_at_or_after_the_wanted_one_fails) {
  FakeMembers m;
  const auto a = m.add(FakeMembers::Behaviour::Serve, std::pair{100, 30});
  const auto b = m.add(FakeMembers::Behaviour::Serve, std::pair{100, 30});
  (void)m.add(FakeMembers::Behaviour::Serve, std::pair{150, 40});
  auto got = m.run(Index(60), small_batches());
  ASSERT_TRUE(got.has_value()) << got.error();
  EXPECT_EQ(got->point.cursor.index, Index(100));
  EXPECT_EQ(got->served_by, (std::set<PeerId>{a, b}));

  FakeMembers behind;
  (void)behind.add(FakeMembers::Behaviour::Serve, std::pair{50, 30});
  (void)behind.add(FakeMembers::Behaviour::Serve, std::nullopt);
  auto none = behind.run(Index(60), small_batches());
  ASSERT_FALSE(none.has_value());
  EXPECT_NE(none.error().find("at or after 60"), std::string::npos) << none.error();
}

TEST(SnapshotFetch, an_empty_state_is_a_snapshot_of_no_items) {
  FakeMembers m;
  (void)m.add(FakeMembers::Behaviour::Serve, std::pair{100, 0});
  auto got = m.run(Index(1), small_batches());
  ASSERT_TRUE(got.has_value()) << got.error();
  EXPECT_TRUE(got->items.empty());
  EXPECT_EQ(got->point.cursor.index, Index(100));
}

}  // namespace
}  // namespace snapshot_sync_test
}  // namespace mosaik::groups::detail
