// Every bad input is refused by validate()/decode_message and ignored by the core, never
// asserted on: one test per kind of nonsense.
#include <gtest/gtest.h>

#include "groups/raft/membership_codec.hpp"
#include "groups/raft/messages.hpp"
#include "harness.hpp"

namespace mosaik::groups::raft {
namespace messages_test {
namespace {

Message good_append() {
  Message m;
  m.type = static_cast<std::uint8_t>(MessageType::Append);
  m.incarnation = 42;
  m.from = NodeId::from_u64(1);
  m.to = NodeId::from_u64(2);
  m.term = Term(3);
  m.log_term = Term(2);
  m.index = Index(4);
  m.entries = {Entry{Term(3), Index(5), 0, {1, 2}}, Entry{Term(3), Index(6), 0, {3}}};
  return m;
}

TEST(Messages, encode_then_decode_gives_the_same_message) {
  const auto m = good_append();
  auto back = decode_message(encode_message(m));
  ASSERT_TRUE(back.has_value()) << back.error().reason;
  EXPECT_EQ(back->entries, m.entries);
  EXPECT_EQ(back->from, m.from);
  EXPECT_EQ(back->term, m.term);
}

TEST(Messages, random_bytes_are_an_error_not_a_crash) {
  std::vector<std::uint8_t> junk{0x93, 0xff, 0x00, 0xdc, 0xff, 0xff, 0x01};
  EXPECT_FALSE(decode_message(junk).has_value());
  EXPECT_FALSE(decode_message({}).has_value());
  auto bytes = encode_message(good_append());
  bytes.resize(bytes.size() / 2);  // truncated
  EXPECT_FALSE(decode_message(bytes).has_value());
}

TEST(Messages, unknown_type_is_refused) {
  auto m = good_append();
  m.type = 200;
  EXPECT_FALSE(validate(m).has_value());
}

TEST(Messages, absurd_index_is_refused) {
  auto m = good_append();
  m.commit = Index(kMaxSaneIndex + 1);
  EXPECT_FALSE(validate(m).has_value());
}

TEST(Messages, absurd_term_is_refused) {
  auto m = good_append();
  m.term = Term(~std::uint64_t{0});
  EXPECT_FALSE(validate(m).has_value());
}

TEST(Messages, non_contiguous_entries_are_refused) {
  auto m = good_append();
  m.entries[1].index = Index(9);
  EXPECT_FALSE(validate(m).has_value());
}

TEST(Messages, entry_from_a_future_term_is_refused) {
  auto m = good_append();
  m.entries[1].term = Term(4);
  EXPECT_FALSE(validate(m).has_value());
}

TEST(Messages, unknown_entry_kind_is_refused) {
  auto m = good_append();
  m.entries[0].kind = 9;
  EXPECT_FALSE(validate(m).has_value());
}

TEST(Messages, undecodable_membership_entry_is_refused) {
  auto m = good_append();
  m.entries[0].kind = static_cast<std::uint8_t>(EntryKind::Membership);
  m.entries[0].data = {0xc1};
  EXPECT_FALSE(validate(m).has_value());
  m.entries[0].data = encode_membership(Membership{});  // no voters at all
  EXPECT_FALSE(validate(m).has_value());
}

TEST(Messages, missing_incarnation_is_refused) {
  auto m = good_append();
  m.incarnation = 0;
  EXPECT_FALSE(validate(m).has_value());
}

TEST(Messages, unsorted_voters_are_refused) {
  auto m = good_append();
  m.type = static_cast<std::uint8_t>(MessageType::Vote);
  m.entries.clear();
  m.voters = {NodeId::from_u64(1), NodeId::from_u64(2)};
  if (m.voters[0] < m.voters[1]) std::swap(m.voters[0], m.voters[1]);
  EXPECT_FALSE(validate(m).has_value());
}

TEST(Messages, entries_on_a_vote_are_refused) {
  auto m = good_append();
  m.type = static_cast<std::uint8_t>(MessageType::Vote);
  EXPECT_FALSE(validate(m).has_value());
}

class CoreIgnores : public ::testing::Test {
 protected:
  void SetUp() override {
    a = h.add(1, test::fast_config(1));
    h.run_for(std::chrono::seconds(1));
    ASSERT_EQ(h.core(a).role(), Role::Leader);
  }
  Message addressed(Message m) {
    m.incarnation = h.core(a).incarnation();
    m.from = NodeId::from_u64(99);
    m.to = a;
    return m;
  }
  void expect_ignored(Message m) {
    const auto before = h.core(a).ignored_messages();
    const auto term = h.core(a).term();
    h.core(a).step(std::move(m));
    EXPECT_EQ(h.core(a).ignored_messages(), before + 1);
    EXPECT_EQ(h.core(a).term(), term);
    EXPECT_EQ(h.core(a).role(), Role::Leader);
  }
  test::Harness h;
  NodeId a;
};

TEST_F(CoreIgnores, a_message_of_another_incarnation) {
  auto m = addressed(good_append());
  m.incarnation += 2;
  m.term = Term(99);
  expect_ignored(m);
}

TEST_F(CoreIgnores, a_message_for_another_node) {
  auto m = addressed(good_append());
  m.to = NodeId::from_u64(77);
  m.term = Term(99);
  expect_ignored(m);
}

TEST_F(CoreIgnores, a_message_with_absurd_indices) {
  auto m = addressed(good_append());
  m.index = Index(kMaxSaneIndex * 2);
  m.term = Term(99);
  expect_ignored(m);
}

TEST_F(CoreIgnores, undecodable_bytes) {
  const auto before = h.core(a).ignored_messages();
  std::vector<std::uint8_t> junk(64, 0xd9);
  h.core(a).step_bytes(junk);
  EXPECT_EQ(h.core(a).ignored_messages(), before + 1);
}

}  // namespace
}  // namespace messages_test
}  // namespace mosaik::groups::raft
