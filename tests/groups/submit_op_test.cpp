// submit_op: a handle's execute/feed awaits the group's callback with one post each way. The
// outcome arrives on the caller's executor, and a cancelled wait ends at once (the group's
// late answer is then dropped).
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "mosaik/groups/detail/submit_op.hpp"
#include "mosaik/primitives/async/timeout.hpp"

namespace mosaik::groups::detail {
namespace submit_op_test {
namespace {

using namespace std::chrono_literals;

// A group that keeps each caller's callback and answers only when told to.
class HeldCore final : public GroupCore {
 public:
  explicit HeldCore(asio::any_io_executor ex) : ex_(std::move(ex)) {}
  [[nodiscard]] const GroupId& id() const override { return id_; }
  [[nodiscard]] bool terminated() const override { return false; }
  [[nodiscard]] asio::any_io_executor executor() const override { return ex_; }
  [[nodiscard]] WatchReceiver<Status> status() const override { return status_.subscribe(); }
  void set_apply(ApplyCommands) override {}
  void set_snapshots(SnapshotHooks) override {}
  void set_machine_reset(std::function<void()>) override {}
  [[nodiscard]] WatchReceiver<LostIncarnations> lost_incarnations() const override { return lost_.subscribe(); }
  void submit(std::vector<wire::Bytes> commands, bool until_commit, std::function<void(ExecuteOutcome)> done) override {
    submitted_commands += commands.size();
    last_until_commit = until_commit;
    held.push_back(std::move(done));
  }
  asio::awaitable<ReadBarrier> read_barrier(bool) override { co_return ReadBarrier{}; }

  std::vector<std::function<void(ExecuteOutcome)>> held;  // touched on executor() only
  std::size_t submitted_commands = 0;
  bool last_until_commit = false;

 private:
  asio::any_io_executor ex_;
  GroupId id_{};
  Watch<Status> status_{Status{}};
  Watch<LostIncarnations> lost_{std::make_shared<const std::vector<LostIncarnation>>()};
};

ExecuteOutcome committed_at(std::uint64_t first, std::uint64_t last) {
  return ExecuteOutcome{ExecuteOutcome::Kind::Committed, IndexRange{Index(first), Index(last)}};
}

TEST(SubmitOp, the_outcome_comes_back_on_the_callers_thread) {
  asio::io_context group_io;
  auto guard = asio::make_work_guard(group_io);
  std::thread group_thread([&] { group_io.run(); });
  auto core = std::make_shared<HeldCore>(group_io.get_executor());

  asio::io_context caller_io;
  std::optional<ExecuteOutcome> got;
  std::thread::id resumed_on;
  std::vector<wire::Bytes> two(2, wire::Bytes{1});  // built here: g++ 12 and braced lists in coroutines
  asio::co_spawn(caller_io, [&]() -> asio::awaitable<void> {
    got = co_await submit_op(core, std::move(two), true);
    resumed_on = std::this_thread::get_id();
  }, asio::detached);
  // The group answers later, from its own thread, once it holds the call.
  asio::steady_timer answer(group_io);
  std::function<void()> answer_when_held = [&] {
    if (core->held.empty()) {
      answer.expires_after(1ms);
      answer.async_wait([&](std::error_code) { answer_when_held(); });
      return;
    }
    core->held.front()(committed_at(7, 8));
  };
  asio::post(group_io, answer_when_held);
  caller_io.run_for(10s);  // returns when the coroutine ended, or at the bound

  guard.reset();
  group_thread.join();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->kind, ExecuteOutcome::Kind::Committed);
  EXPECT_EQ(got->range.first, Index(7));
  EXPECT_EQ(got->range.last, Index(8));
  EXPECT_EQ(resumed_on, std::this_thread::get_id());
  EXPECT_EQ(core->submitted_commands, 2u);
  EXPECT_TRUE(core->last_until_commit);
}

TEST(SubmitOp, a_cancelled_wait_ends_at_once_and_the_groups_late_answer_is_dropped) {
  asio::io_context io;
  auto core = std::make_shared<HeldCore>(io.get_executor());
  std::optional<std::expected<ExecuteOutcome, TimedOut>> got;
  const auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration took{};
  std::vector<wire::Bytes> one(1, wire::Bytes{3});
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    got = co_await with_timeout(submit_op(core, std::move(one), false), 20ms);
    took = std::chrono::steady_clock::now() - start;
  }, asio::detached);
  io.run_for(10s);  // without the cancellation the wait would last until the group answers
  // Nothing waits any more: the context ran out of work long before the bound.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(got->has_value());
  EXPECT_LT(took, 5s);
  EXPECT_FALSE(core->last_until_commit);

  ASSERT_EQ(core->held.size(), 1u);
  core->held.front()(committed_at(1, 1));  // the late answer: nobody waits for it any more
  io.restart();
  EXPECT_EQ(io.poll(), 0u);  // and it resumes nothing
}

}  // namespace
}  // namespace submit_op_test
}  // namespace mosaik::groups::detail
