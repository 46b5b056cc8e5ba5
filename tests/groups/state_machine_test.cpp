#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include <mosaik/groups/command_error.hpp>
#include <mosaik/groups/state_machine.hpp>

namespace mosaik::groups {
namespace state_machine_test {
namespace {

struct Ctx final : ApplyContext {
  Cursor committed() const override { return {Term(1), Index(4)}; }
  Cursor log_position() const override { return {Term(1), Index(9)}; }
  Term current_term() const override { return Term(1); }
};

struct Counter {
  using Command = std::int64_t;
  using Query = Unit;
  using QueryResult = std::int64_t;
  std::int64_t value = 0;
  UniqueId signature() const { return unique_id("counter_v1"); }
  void apply(Command c, const ApplyContext&) { value += c; }
  QueryResult query(const Query&) const { return value; }
};

struct BatchingCounter : Counter {
  int batches = 0;
  void apply_batch(std::vector<Command> cs, const ApplyContext& ctx) {
    ++batches;
    for (auto c : cs) apply(c, ctx);
  }
  LeadershipPreference leadership_preference() const { return LeadershipPreference::observer(); }
};

static_assert(StateMachine<Counter>);
static_assert(StateMachine<BatchingCounter>);
static_assert(StateMachine<NoOp>);

TEST(StateMachine, apply_batch_falls_back_to_apply_in_order) {
  Counter c;
  apply_batch(c, {1, 2, 3}, Ctx{});
  EXPECT_EQ(c.query({}), 6);
  EXPECT_EQ(leadership_preference_of(c), LeadershipPreference::normal());
}

TEST(StateMachine, the_machines_own_apply_batch_and_preference_are_used) {
  BatchingCounter c;
  apply_batch(c, {1, 2}, Ctx{});
  EXPECT_EQ(c.batches, 1);
  EXPECT_EQ(c.value, 3);
  EXPECT_TRUE(leadership_preference_of(c).never_campaigns());
  EXPECT_EQ(LeadershipPreference::reluctant().factor(), 3u);
}

TEST(CommandError, offline_and_timeout_carry_the_commands_back) {
  CommandError<Counter> e{CommandError<Counter>::Offline{{5, 6}}};
  EXPECT_TRUE(e.is_offline());
  EXPECT_EQ(std::move(e).take_commands(), (std::vector<std::int64_t>{5, 6}));
  CommandError<Counter> unknown{CommandError<Counter>::Timeout{{7}}};
  EXPECT_TRUE(unknown.is_timeout());
  EXPECT_FALSE(unknown.is_offline());
  EXPECT_EQ(std::move(unknown).take_commands(), (std::vector<std::int64_t>{7}));
  CommandError<Counter> large{CommandError<Counter>::TooLarge{}};
  EXPECT_TRUE(large.is_too_large());
  EXPECT_TRUE(std::move(large).take_commands().empty());
  QueryError<Counter> q{QueryError<Counter>::GroupTerminated{}};
  EXPECT_TRUE(q.is_terminated());
  CommittedQueryResult<Counter> r{7, Index(3)};
  EXPECT_EQ(*r, 7);
  EXPECT_EQ(r.state_position(), Index(3));
}

TEST(Index, helpers_saturate_and_measure_distance) {
  EXPECT_EQ(Index::zero().prev(), Index(0));
  EXPECT_TRUE(Index::zero().is_zero());
  EXPECT_EQ(Index(UINT64_MAX).next(), Index(UINT64_MAX));
  EXPECT_EQ(Term(3).distance(Term(7)), 4u);
  EXPECT_EQ((IndexRange{Index(3), Index(7)}).size(), 5u);
  EXPECT_TRUE((IndexRange{Index(3), Index(2)}).empty());
  EXPECT_LT((Cursor{Term(1), Index(9)}), (Cursor{Term(2), Index(1)}));
}

}  // namespace
}  // namespace state_machine_test
}  // namespace mosaik::groups
