// Replay from the members without a network (docs/decisions/0412): the wire checks of its
// messages, and the fetch spreading batches over members that serve from real cores behind
// fake bonds, handing them to a real core, with sources that fail in each way.
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/use_future.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <utility>
#include <set>

#include "direct.hpp"
#include "groups/sync/messages.hpp"
#include "groups/sync/replay_fetch.hpp"

namespace mosaik::groups::detail {
namespace replay_fetch_test {
namespace {

using namespace std::chrono_literals;
namespace direct = raft::direct;

constexpr std::uint64_t kCommitted = 95;

std::vector<raft::Entry> history(std::uint64_t n) {
  std::vector<raft::Entry> out;
  for (std::uint64_t i = 1; i <= n; ++i)
    out.push_back(direct::command(Term(i <= 40 ? 1 : 2), Index(i), static_cast<std::uint8_t>(i)));
  return out;
}

// A member (of leader 1, term 2) holding `entries`, committed up to `commit`.
std::unique_ptr<direct::OwnedCore> member(std::uint64_t n, std::vector<raft::Entry> entries, std::uint64_t commit) {
  auto core = direct::restarted(direct::id(n), raft::HardState{Term(2), {}, 0, {}}, std::move(entries));
  auto h = direct::msg(raft::MessageType::Heartbeat, direct::id(1), core->id(), Term(2));
  h.commit = Index(commit);
  core->step(h);
  (void)core->take_ready();
  return core;
}

SyncMessage replay_batch(std::uint64_t first, Term prev_term, std::vector<raft::Entry> entries) {
  SyncMessage m;
  m.kind = static_cast<std::uint8_t>(SyncKind::ReplayBatch);
  m.index = first;
  m.term = prev_term;
  m.incarnation = direct::kIncarnation;
  m.entries = std::move(entries);
  return m;
}

TEST(ReplayMessages, a_fetch_of_nothing_or_from_index_zero_and_a_batch_that_is_no_run_are_refused) {
  SyncMessage f;
  f.kind = static_cast<std::uint8_t>(SyncKind::ReplayFetch);
  f.index = 1;
  f.count = 0;
  EXPECT_FALSE(decode_sync(encode_sync(f)).has_value());
  f.count = kMaxFetchItems + 1;
  EXPECT_FALSE(decode_sync(encode_sync(f)).has_value());
  f.count = 10;
  EXPECT_TRUE(decode_sync(encode_sync(f)).has_value());
  f.index = 0;
  EXPECT_FALSE(decode_sync(encode_sync(f)).has_value());

  const auto good = history(5);
  EXPECT_TRUE(decode_sync(encode_sync(replay_batch(1, Term(0), good))).has_value());
  EXPECT_FALSE(decode_sync(encode_sync(replay_batch(1, Term(0), {}))).has_value()) << "an empty batch";
  EXPECT_FALSE(decode_sync(encode_sync(replay_batch(2, Term(1), good))).has_value()) << "indices not from its first";
  EXPECT_FALSE(decode_sync(encode_sync(replay_batch(1, Term(3), good))).has_value()) << "terms going back";
  auto holes = good;
  holes.erase(holes.begin() + 2);
  EXPECT_FALSE(decode_sync(encode_sync(replay_batch(1, Term(0), holes))).has_value()) << "a hole";
  auto odd = good;
  odd[1].kind = 9;
  EXPECT_FALSE(decode_sync(encode_sync(replay_batch(1, Term(0), odd))).has_value()) << "an unknown kind";
  EXPECT_FALSE(decode_sync(encode_sync(replay_batch(0, Term(0), good))).has_value()) << "at index 0";
  EXPECT_FALSE(decode_sync(encode_sync(replay_batch(1, Term(0), history(raft::kMaxEntriesPerMessage + 1)))).has_value())
      << "more entries than a message may carry";
}

// Members behind fake bonds, each serving from its own core or misbehaving as told, and a
// lagging member whose core takes the batches.
struct FakeMembers {
  enum class Behaviour { Serve, Gone, Silent, DiesAfterOne, WrongTerm, Uncommitted, Unasked, TooMany };
  asio::io_context io;
  std::map<PeerId, std::unique_ptr<direct::OwnedCore>> cores;
  std::map<PeerId, Behaviour> behaviour;
  std::map<PeerId, std::size_t> served;  // batches each member answered
  std::unique_ptr<direct::OwnedCore> lagging = member(3, history(10), 10);
  std::shared_ptr<ReplayFetch> fetch;
  std::uint64_t next_id = 4;
  std::set<PeerId> bond_later;  // no source at the start: bonded once the first batch is served
  // The leader's appends bring our core up to this index once the first batch is asked.
  std::optional<std::uint64_t> leader_brings_up_to;
  std::vector<std::uint64_t> asked;  // the first index of each batch asked, in order

  PeerId add(Behaviour b) {
    const PeerId p = SecretKey::generate().public_key();
    behaviour[p] = b;
    // An Uncommitted member holds every entry but committed only a few: it must not serve the rest.
    cores[p] = member(next_id++, history(kCommitted), b == Behaviour::Uncommitted ? 20 : kCommitted);
    return p;
  }

  bool send(const PeerId& to, const SyncMessage& m) {
    const auto b = behaviour[to];
    if (b == Behaviour::DiesAfterOne && served[to] >= 1) return false;  // its bond is gone
    asked.push_back(m.index);
    if (leader_brings_up_to)
      asio::post(io, [this, upto = *std::exchange(leader_brings_up_to, std::nullopt)] { appended(upto); });
    asio::post(io, [this, to, m, b] {
      if (b == Behaviour::Silent) return;
      SyncMessage answer;
      answer.request = m.request;
      answer.index = m.index;
      answer.kind = static_cast<std::uint8_t>(SyncKind::Gone);
      const auto first = b == Behaviour::Unasked ? m.index + m.count : m.index;  // another range
      const auto count = b == Behaviour::TooMany ? m.count + 1 : m.count;       // more than asked
      answer.index = first;
      auto run = b == Behaviour::Gone ? std::nullopt : cores.at(to)->committed_run(m.incarnation, Index(first), count, kMaxBatchBytes);
      if (run) {
        ++served[to];
        answer.kind = static_cast<std::uint8_t>(SyncKind::ReplayBatch);
        answer.term = b == Behaviour::WrongTerm ? Term(run->prev.term.value + 1) : run->prev.term;
        if (b == Behaviour::WrongTerm)
          for (auto& e : run->entries) e.term = std::max(e.term, answer.term);
        answer.incarnation = run->incarnation;
        answer.entries = std::move(run->entries);
      }
      for (const auto& p : bond_later) fetch->add_source(p);
      bond_later.clear();
      auto decoded = decode_sync(encode_sync(answer));  // through the codec, as over a bond
      ASSERT_TRUE(decoded.has_value()) << decoded.error();
      if (fetch->owns(decoded->request)) fetch->on_reply(to, std::move(*decoded));
    });
    return true;
  }

  // What the leader's appends do: our core takes and commits the entries up to `upto`.
  void appended(std::uint64_t upto) {
    const auto leader = member(next_id++, history(kCommitted), kCommitted);
    const auto from = lagging->commit_index().next();
    auto run = leader->committed_run(direct::kIncarnation, from, upto - from.value + 1, kMaxBatchBytes);
    ASSERT_TRUE(run.has_value());
    ASSERT_TRUE(lagging->accept_committed(*run).has_value());
    (void)lagging->take_ready();
    fetch->committed(lagging->commit_index());
  }

  std::expected<ReplayFetched, std::string> run() {
    std::vector<PeerId> sources;
    for (const auto& [p, b] : behaviour)
      if (!bond_later.contains(p)) sources.push_back(p);
    SyncConfig config;
    config.fetch_batch_size = 10;
    config.fetch_timeout = 300ms;
    fetch = std::make_shared<ReplayFetch>([this](const PeerId& p, const SyncMessage& m) { return send(p, m); },
                                          [] { return std::chrono::steady_clock::now().time_since_epoch(); }, config, 1);
    const raft::ReplayRequest want{direct::id(1), Index(11), Index(kCommitted)};
    auto deliver = [this](const raft::CommittedRun& run) {
      auto took = lagging->accept_committed(run);
      (void)lagging->take_ready();
      return took;
    };
    auto result = asio::co_spawn(io, fetch->run(want, direct::kIncarnation, sources, deliver), asio::use_future);
    io.run_for(30s);
    return result.get();
  }

  // The lagging member's log is the served history, committed.
  void expect_caught_up() const {
    EXPECT_EQ(lagging->commit_index(), Index(kCommitted));
    const auto want = history(kCommitted);
    for (const auto& e : want) EXPECT_EQ(lagging->log().at(e.index), e) << "at " << e.index.value;
  }
};

TEST(ReplayFetch, batches_are_spread_over_every_member_and_taken_in_order) {
  FakeMembers m;
  for (int i = 0; i < 3; ++i) (void)m.add(FakeMembers::Behaviour::Serve);
  auto got = m.run();
  ASSERT_TRUE(got.has_value()) << got.error();
  EXPECT_EQ(got->reached, Index(kCommitted));
  EXPECT_EQ(got->batches, 9u);  // 85 entries in batches of 10
  EXPECT_EQ(got->served_by.size(), 3u);
  for (const auto& [p, n] : m.served) EXPECT_GE(n, 2u) << "a member served fewer than two of nine batches";
  m.expect_caught_up();
}

TEST(ReplayFetch, a_member_that_bonds_during_the_fetch_serves_batches_too) {
  FakeMembers m;
  const auto first = m.add(FakeMembers::Behaviour::Serve);
  const auto later = m.add(FakeMembers::Behaviour::Serve);
  m.bond_later.insert(later);
  auto got = m.run();
  ASSERT_TRUE(got.has_value()) << got.error();
  EXPECT_EQ(got->served_by, (std::set<PeerId>{first, later}));
  m.expect_caught_up();
}

TEST(ReplayFetch, a_member_killed_mid_fetch_or_silent_or_gone_loses_its_batches_to_the_others) {
  FakeMembers m;
  const auto good = m.add(FakeMembers::Behaviour::Serve);
  const auto dies = m.add(FakeMembers::Behaviour::DiesAfterOne);
  const auto silent = m.add(FakeMembers::Behaviour::Silent);
  const auto gone = m.add(FakeMembers::Behaviour::Gone);
  auto got = m.run();
  ASSERT_TRUE(got.has_value()) << got.error();
  EXPECT_EQ(got->served_by, (std::set<PeerId>{good, dies}));
  EXPECT_EQ(m.served[dies], 1u);
  EXPECT_FALSE(m.served.contains(silent));
  EXPECT_FALSE(m.served.contains(gone));
  m.expect_caught_up();
}

TEST(ReplayFetch, a_batch_that_does_not_link_to_our_log_is_refused_and_fetched_from_another_member) {
  FakeMembers m;
  const auto good = m.add(FakeMembers::Behaviour::Serve);
  const auto liar = m.add(FakeMembers::Behaviour::WrongTerm);
  auto got = m.run();
  ASSERT_TRUE(got.has_value()) << got.error();
  EXPECT_GE(m.served[liar], 1u) << "the test never had a wrong batch refused";
  EXPECT_EQ(got->served_by, std::set<PeerId>{good});
  m.expect_caught_up();
}

TEST(ReplayFetch, a_member_answering_another_range_or_more_than_asked_loses_its_batches) {
  FakeMembers m;
  const auto good = m.add(FakeMembers::Behaviour::Serve);
  const auto unasked = m.add(FakeMembers::Behaviour::Unasked);
  const auto too_many = m.add(FakeMembers::Behaviour::TooMany);
  auto got = m.run();
  ASSERT_TRUE(got.has_value()) << got.error();
  EXPECT_GE(m.served[unasked] + m.served[too_many], 2u) << "the test never had a wrong answer";
  EXPECT_EQ(got->served_by, std::set<PeerId>{good});
  m.expect_caught_up();
}

TEST(ReplayFetch, a_member_serves_only_up_to_its_commit_and_the_rest_comes_from_others) {
  FakeMembers m;
  (void)m.add(FakeMembers::Behaviour::Serve);
  (void)m.add(FakeMembers::Behaviour::Uncommitted);
  auto got = m.run();
  ASSERT_TRUE(got.has_value()) << got.error();
  m.expect_caught_up();
}

TEST(ReplayFetch, once_the_leader_has_brought_the_rest_the_fetch_ends_without_waiting_for_its_batches) {
  FakeMembers m;
  (void)m.add(FakeMembers::Behaviour::Silent);  // its batch would come only by dropping it at fetch_timeout
  m.leader_brings_up_to = kCommitted;
  auto got = m.run();
  ASSERT_TRUE(got.has_value()) << got.error();
  EXPECT_EQ(got->reached, Index(kCommitted));
  EXPECT_EQ(got->batches, 0u);
  m.expect_caught_up();
}

TEST(ReplayFetch, entries_the_leader_brought_meanwhile_are_not_fetched_again) {
  FakeMembers m;
  (void)m.add(FakeMembers::Behaviour::Serve);
  m.leader_brings_up_to = 60;  // while the first batch (11..20) is on its way
  auto got = m.run();
  ASSERT_TRUE(got.has_value()) << got.error();
  EXPECT_EQ(m.asked, (std::vector<std::uint64_t>{11, 61, 71, 81, 91}));
  m.expect_caught_up();
}

TEST(ReplayFetch, when_every_source_fails_the_fetch_fails_with_a_reason_in_bounded_time) {
  FakeMembers m;
  (void)m.add(FakeMembers::Behaviour::Silent);
  (void)m.add(FakeMembers::Behaviour::Gone);
  (void)m.add(FakeMembers::Behaviour::WrongTerm);
  const auto t0 = std::chrono::steady_clock::now();
  auto got = m.run();
  ASSERT_FALSE(got.has_value());
  EXPECT_NE(got.error().find("every source"), std::string::npos) << got.error();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_EQ(m.lagging->commit_index(), Index(10)) << "took entries from members that failed";
}

}  // namespace
}  // namespace replay_fetch_test
}  // namespace mosaik::groups::detail
