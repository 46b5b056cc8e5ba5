// The consumer's inbox: bounded, ordered, refuses undecodable frames before the user could
// see them, and builds each datum on the reader's side.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "mosaik/primitives/frame.hpp"
#include "mosaik/streams/detail/consumer_core.hpp"

namespace mosaik::test_types {
// Decodes like an int, but its conversion fails once when `fail_at` counts down to zero:
// a stand-in for a user adaptor whose success depends on more than the bytes.
struct Flaky {
  int value = 0;
  static inline int fail_at = -1;
};
}  // namespace mosaik::test_types

namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
namespace adaptor {
template <>
struct convert<mosaik::test_types::Flaky> {
  const msgpack::object& operator()(const msgpack::object& o, mosaik::test_types::Flaky& v) const {
    if (mosaik::test_types::Flaky::fail_at-- == 0) throw msgpack::type_error();
    v.value = o.as<int>();
    return o;
  }
};
template <>
struct pack<mosaik::test_types::Flaky> {
  template <class Stream>
  packer<Stream>& operator()(packer<Stream>& p, const mosaik::test_types::Flaky& v) const {
    return p.pack(v.value);
  }
};
}  // namespace adaptor
}
}  // namespace msgpack

namespace mosaik::streams::detail {
namespace inbox_test {
namespace {

struct Reading {
  std::uint64_t seq = 0;
  std::string label;
  MSGPACK_DEFINE(seq, label);
};

// Frames as a consumer's worker receives them: one batch sharing one buffer.
std::shared_ptr<const wire::FrameBatch> batch_of(const std::vector<wire::Bytes>& payloads) {
  wire::Bytes stream;
  for (const auto& p : payloads) {
    const auto size = static_cast<std::uint32_t>(p.size());
    for (int shift = 24; shift >= 0; shift -= 8) stream.push_back(std::uint8_t(size >> shift));
    stream.insert(stream.end(), p.begin(), p.end());
  }
  wire::FrameDecoder decoder;
  decoder.feed(stream);
  auto batch = decoder.take(payloads.size());
  EXPECT_TRUE(batch.has_value());
  EXPECT_EQ(batch->size(), payloads.size());
  return std::make_shared<const wire::FrameBatch>(std::move(*batch));
}

std::vector<wire::Bytes> readings(std::uint64_t from, std::uint64_t count) {
  std::vector<wire::Bytes> out;
  for (auto seq = from; seq < from + count; ++seq) {
    out.push_back(wire::encode(Reading{seq, "reading " + std::to_string(seq)}));
  }
  return out;
}

TEST(StreamsInbox, holds_at_most_its_capacity_and_hands_datums_out_in_order) {
  Inbox<Reading> inbox;
  StatsCounters channel;
  StatsCounters totals;
  const std::size_t total = InboxBase::kCapacity + 300;
  const auto batch = batch_of(readings(0, total));
  bool undecodable = false;
  auto next = inbox.push_encoded(batch, 0, channel, totals, undecodable);
  EXPECT_EQ(next, InboxBase::kCapacity);
  EXPECT_FALSE(undecodable);
  EXPECT_EQ(channel.datums.load(), InboxBase::kCapacity);
  EXPECT_EQ(totals.datums.load(), InboxBase::kCapacity);
  EXPECT_EQ(inbox.push_encoded(batch, next, channel, totals, undecodable), next);  // full
  bool closed = false;
  for (std::uint64_t seq = 0; seq < 10; ++seq) {
    auto d = inbox.try_pop(closed);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->seq, seq);
    EXPECT_EQ(d->label, "reading " + std::to_string(seq));
  }
  next = inbox.push_encoded(batch, next, channel, totals, undecodable);  // room for 10 more
  EXPECT_EQ(next, InboxBase::kCapacity + 10);
  for (std::uint64_t seq = 10; seq < next; ++seq) {
    auto d = inbox.try_pop(closed);
    ASSERT_TRUE(d.has_value());
    ASSERT_EQ(d->seq, seq);
  }
  EXPECT_FALSE(inbox.try_pop(closed).has_value());
  EXPECT_FALSE(closed);
  EXPECT_EQ(inbox.push_encoded(batch, next, channel, totals, undecodable), total);
  EXPECT_EQ(channel.datums.load(), total);
}

TEST(StreamsInbox, an_undecodable_frame_stops_the_push_after_the_good_ones_before_it) {
  Inbox<Reading> inbox;
  StatsCounters channel;
  StatsCounters totals;
  auto frames = readings(0, 2);
  frames.push_back(wire::encode(std::string("not a reading")));
  frames.push_back(wire::encode(Reading{3, "after"}));
  bool undecodable = false;
  EXPECT_EQ(inbox.push_encoded(batch_of(frames), 0, channel, totals, undecodable), 2u);
  EXPECT_TRUE(undecodable);
  EXPECT_EQ(channel.datums.load(), 2u);
  bool closed = false;
  EXPECT_EQ(inbox.try_pop(closed)->seq, 0u);
  EXPECT_EQ(inbox.try_pop(closed)->seq, 1u);
  EXPECT_FALSE(inbox.try_pop(closed).has_value());
}

TEST(StreamsInbox, a_batch_is_released_when_its_last_datum_is_read) {
  Inbox<Reading> inbox;
  StatsCounters channel;
  StatsCounters totals;
  auto batch = batch_of(readings(0, 3));
  const std::weak_ptr<const wire::FrameBatch> watcher = batch;
  bool undecodable = false;
  ASSERT_EQ(inbox.push_encoded(batch, 0, channel, totals, undecodable), 3u);
  batch.reset();  // the worker is done with it
  bool closed = false;
  ASSERT_TRUE(inbox.try_pop(closed).has_value());
  ASSERT_TRUE(inbox.try_pop(closed).has_value());
  EXPECT_FALSE(watcher.expired());
  ASSERT_TRUE(inbox.try_pop(closed).has_value());
  EXPECT_TRUE(watcher.expired());
}

TEST(StreamsInbox, a_closed_inbox_is_drained_before_it_reports_closed) {
  Inbox<Reading> inbox;
  StatsCounters channel;
  StatsCounters totals;
  bool undecodable = false;
  ASSERT_EQ(inbox.push_encoded(batch_of(readings(7, 1)), 0, channel, totals, undecodable), 1u);
  inbox.close();
  bool closed = false;
  auto d = inbox.try_pop(closed);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->seq, 7u);
  EXPECT_FALSE(inbox.try_pop(closed).has_value());
  EXPECT_TRUE(closed);
}

TEST(StreamsInbox, a_datum_that_fails_only_when_read_is_dropped_and_counted) {
  using test_types::Flaky;
  Inbox<Flaky> inbox;
  StatsCounters channel;
  StatsCounters totals;
  std::vector<wire::Bytes> frames;
  for (int v : {1, 2, 3}) frames.push_back(wire::encode(Flaky{v}));
  Flaky::fail_at = 4;  // three checks pass; the read of the second datum fails
  bool undecodable = false;
  ASSERT_EQ(inbox.push_encoded(batch_of(frames), 0, channel, totals, undecodable), 3u);
  bool closed = false;
  EXPECT_EQ(inbox.try_pop(closed)->value, 1);
  EXPECT_EQ(inbox.try_pop(closed)->value, 3);  // 2 was dropped, not handed out broken
  EXPECT_EQ(inbox.late_violations(), 1u);
  EXPECT_FALSE(inbox.try_pop(closed).has_value());
  Flaky::fail_at = -1;
}

}  // namespace
}  // namespace inbox_test
}  // namespace mosaik::streams::detail
