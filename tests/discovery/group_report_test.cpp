// A peer entry's group reports (decision 0702): what a member says of each group it is in
// travels signed with its entry, only for groups the entry lists.
#include <gtest/gtest.h>

#include <algorithm>

#include "catalog_state.hpp"
#include "mosaik/discovery/group_summary.hpp"

namespace mosaik::discovery {
namespace group_report_test {
namespace {

using namespace std::chrono_literals;

const NetworkId kNet = "group-report-test";
constexpr Timestamp kNow{1'700'000'000'000};

PeerEntry entry_of(const SecretKey& key) {
  PeerEntry e(kNet, EndpointAddr(key.public_key(), {SocketAddr(asio::ip::make_address("127.0.0.1"), 4000)}));
  e.set_version({kNow - 10s, kNow});
  return e;
}

GroupReport report_led_by(const PeerId& leader) { return GroupReport{leader, 3, 42}; }

TEST(GroupReport, a_report_travels_signed_with_the_entry) {
  const auto key = SecretKey::from_seed("member");
  auto e = entry_of(key);
  const GroupId g("g");
  e.add_group(g);
  EXPECT_TRUE(e.set_group_report(g, report_led_by(key.public_key())));
  EXPECT_FALSE(e.set_group_report(g, report_led_by(key.public_key())));  // unchanged
  const auto s = SignedPeerEntry::sign(e, key);
  const auto back = wire::decode<SignedPeerEntry>(wire::encode(s)).value();
  ASSERT_NE(back.entry().group_report(g), nullptr);
  EXPECT_EQ(*back.entry().group_report(g), report_led_by(key.public_key()));
  EXPECT_TRUE(back.verify());
  // The signature covers the report: a changed commit index does not verify.
  PeerEntry changed = s.entry();
  EXPECT_TRUE(changed.set_group_report(g, GroupReport{key.public_key(), 3, 43}));
  EXPECT_FALSE(SignedPeerEntry::from_parts(changed, s.signature()).verify());
}

TEST(GroupReport, only_a_listed_group_takes_a_report_and_leaving_drops_it) {
  const auto key = SecretKey::from_seed("member");
  auto e = entry_of(key);
  const GroupId g("g");
  EXPECT_FALSE(e.set_group_report(g, GroupReport{}));
  EXPECT_TRUE(e.group_reports().empty());
  e.add_group(g);
  EXPECT_TRUE(e.set_group_report(g, GroupReport{}));
  EXPECT_TRUE(e.remove_group(g));
  EXPECT_EQ(e.group_report(g), nullptr);
}

// An entry that carries a report for a group it does not list (crafted, but signed by its
// owner) is refused as malformed: reports are bounded by the groups an entry lists.
TEST(GroupReport, a_report_for_an_unlisted_group_is_refused_as_malformed) {
  const auto key = SecretKey::from_seed("crafted");
  const GroupId listed("listed"), other("other");
  auto entry = entry_of(key);
  entry.add_group(listed);
  entry.add_group(other);
  ASSERT_TRUE(entry.set_group_report(other, GroupReport{}));
  // The groups set comes before the reports in the encoding: rename `other` there only.
  auto bytes = wire::encode(entry);
  const auto needle = other.as_bytes();
  const auto at = std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end());
  ASSERT_NE(at, bytes.end());
  const auto unlisted = GroupId("unlisted").as_bytes();
  std::copy(unlisted.begin(), unlisted.end(), at);
  const auto crafted = wire::decode<PeerEntry>(bytes).value();
  ASSERT_FALSE(crafted.groups().contains(other));
  ASSERT_NE(crafted.group_report(other), nullptr);

  const auto local = SecretKey::from_seed("local");
  CatalogState state(kNet, local.public_key(), Config::builder().build().value());
  EXPECT_EQ(state.merge(SignedPeerEntry::sign(crafted, key), kNow).error(), Rejection::kMalformed);
  EXPECT_EQ(state.merge(SignedPeerEntry::sign(entry, key), kNow).value(), Change::kDiscovered);
}

// A member still in an old term (partitioned, or its report not refreshed yet) does not
// name the group's leader: the report of the highest term does, in whatever order they come.
TEST(GroupSummary, the_leader_is_the_one_named_in_the_highest_term_reported) {
  const GroupId g("g");
  const auto a = SecretKey::from_seed("a"), b = SecretKey::from_seed("b"), c = SecretKey::from_seed("c");
  std::vector<PeerEntry> entries;
  for (const auto* key : {&a, &b, &c}) {
    entries.push_back(entry_of(*key));
    entries.back().add_group(g);
  }
  ASSERT_TRUE(entries[0].set_group_report(g, GroupReport{b.public_key(), 5, 90}));
  ASSERT_TRUE(entries[1].set_group_report(g, GroupReport{a.public_key(), 4, 100}));  // stale
  // entries[2] has not reported
  for (const auto& order : {std::vector<std::size_t>{0, 1, 2}, std::vector<std::size_t>{1, 2, 0}}) {
    std::map<GroupId, GroupSummary> groups;
    for (auto i : order) add_to_summary(groups, entries[i]);
    ASSERT_EQ(groups.size(), 1u);
    const auto& s = groups.at(g);
    EXPECT_EQ(s.members.size(), 3u);
    EXPECT_EQ(s.reports.size(), 2u);
    EXPECT_EQ(s.leader, b.public_key());
    EXPECT_EQ(s.term, 5u);
    EXPECT_EQ(s.commit_index, 100u);  // the highest reported, whoever reported it
  }
}

}  // namespace
}  // namespace group_report_test
}  // namespace mosaik::discovery
