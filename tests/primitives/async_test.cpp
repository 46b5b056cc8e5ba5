#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "mosaik/primitives/async.hpp"
#include "support/time.hpp"

namespace mosaik {
namespace {

using namespace std::chrono_literals;

TEST(BlockOn, returns_the_value_of_a_coroutine) {
  EXPECT_EQ(block_on([]() -> asio::awaitable<int> { co_return 42; }), 42);
}

TEST(BlockOn, rethrows_the_coroutine_exception) {
  EXPECT_THROW(block_on([]() -> asio::awaitable<void> {
                 throw std::runtime_error("boom");
                 co_return;
               }),
               std::runtime_error);
}

struct NoDefault {
  explicit NoDefault(int v) : value(v) {}
  int value;
};

TEST(BlockOn, supports_results_without_default_constructor) {
  auto r = block_on([]() -> asio::awaitable<NoDefault> { co_return NoDefault(7); });
  EXPECT_EQ(r.value, 7);
}

TEST(Watch, changed_completes_after_set) {
  Watch<int> w(1);
  auto rx = w.subscribe();
  EXPECT_FALSE(rx.has_changed());
  w.set(2);
  EXPECT_TRUE(rx.has_changed());
  block_on([&]() -> asio::awaitable<void> { co_await test::timeout_s(5, rx.changed()); });
  EXPECT_EQ(rx.borrow(), 2);
  EXPECT_FALSE(rx.has_changed());
}

TEST(Watch, changed_wakes_a_waiter_when_set_from_another_thread) {
  Watch<std::string> w("a");
  auto rx = w.subscribe();
  std::thread setter;
  block_on([&]() -> asio::awaitable<void> {
    setter = std::thread([&] { w.set("b"); });
    co_await test::timeout_s(5, rx.changed());
  });
  setter.join();
  EXPECT_EQ(rx.borrow(), "b");
}

// Like tokio's watch, a receiver sees the latest value, not every intermediate one.
TEST(Watch, wait_until_returns_a_matching_value_once_one_is_set) {
  Watch<int> w(0);
  auto rx = w.subscribe();
  asio::io_context ctx;
  int got = -1;
  asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
    got = co_await test::timeout_s(5, rx.wait_until([](const int& v) { return v >= 3; }));
  }, asio::detached);
  asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
    for (int i = 1; i <= 3; ++i) {
      w.set(i);
      co_await asio::post(ctx, asio::use_awaitable);  // let the waiter observe each step
    }
  }, asio::detached);
  ctx.run();
  EXPECT_EQ(got, 3);
}

TEST(Watch, wait_until_checks_the_current_value_immediately) {
  Watch<int> w(10);
  auto rx = w.subscribe();
  EXPECT_EQ(block_on(rx.wait_until([](const int& v) { return v == 10; })), 10);
}

TEST(Watch, modify_notifies_only_on_change) {
  Watch<int> w(1);
  auto rx = w.subscribe();
  w.modify([](int&) { return false; });
  EXPECT_FALSE(rx.has_changed());
  w.modify([](int& v) {
    v = 9;
    return true;
  });
  EXPECT_TRUE(rx.has_changed());
  EXPECT_EQ(w.borrow(), 9);
}

TEST(Broadcast, every_receiver_sees_every_value_in_order) {
  Broadcast<int> b(16);
  auto r1 = b.subscribe(), r2 = b.subscribe();
  for (int i = 0; i < 5; ++i) b.send(i);
  block_on([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ((co_await test::timeout_s(5, r1.recv())).value(), i);
      EXPECT_EQ((co_await test::timeout_s(5, r2.recv())).value(), i);
    }
  });
  EXPECT_TRUE(std::holds_alternative<BroadcastEmpty>(r1.try_recv().error()));
}

TEST(Broadcast, slow_receiver_is_told_how_many_it_missed) {
  Broadcast<int> b(4);
  auto rx = b.subscribe();
  for (int i = 0; i < 10; ++i) b.send(i);
  auto first = rx.try_recv();
  ASSERT_FALSE(first.has_value());
  EXPECT_EQ(std::get<Lagged>(first.error()), Lagged{6});
  for (int i = 6; i < 10; ++i) EXPECT_EQ(rx.try_recv().value(), i);
}

TEST(Broadcast, receiver_starts_with_values_sent_after_subscribing) {
  Broadcast<int> b(4);
  b.send(1);
  auto rx = b.subscribe();
  b.send(2);
  EXPECT_EQ(rx.try_recv().value(), 2);
}

TEST(Broadcast, closed_after_draining) {
  Broadcast<int> b(4);
  auto rx = b.subscribe();
  b.send(1);
  b.close();
  b.send(2);  // ignored after close
  block_on([&]() -> asio::awaitable<void> {
    EXPECT_EQ((co_await rx.recv()).value(), 1);
    auto end = co_await test::timeout_s(5, rx.recv());
    EXPECT_TRUE(std::holds_alternative<BroadcastClosed>(end.error()));
  });
}

TEST(Broadcast, recv_wakes_on_send_from_another_thread) {
  Broadcast<int> b(4);
  auto rx = b.subscribe();
  std::thread sender;
  const int got = block_on([&]() -> asio::awaitable<int> {
    sender = std::thread([&] { b.send(77); });
    co_return (co_await test::timeout_s(5, rx.recv())).value();
  });
  sender.join();
  EXPECT_EQ(got, 77);
}

TEST(Timeout, expires_and_cancels_the_operation) {
  Watch<int> w(0);
  auto rx = w.subscribe();
  auto r = block_on(with_timeout(rx.changed(), 20ms));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().after, std::chrono::steady_clock::duration(20ms));
}

TEST(Timeout, passes_the_value_through_when_in_time) {
  auto r = block_on(with_timeout([]() -> asio::awaitable<int> { co_return 5; }(), 5s));
  EXPECT_EQ(r.value(), 5);
}

TEST(Timeout, test_helper_names_the_calling_line) {
  Watch<int> w(0);
  auto rx = w.subscribe();
  try {
    block_on(test::timeout_ms(10, rx.changed()));
    FAIL() << "expected a timeout";
  } catch (const test::TestTimeout& e) {
    EXPECT_NE(std::string(e.what()).find("async_test.cpp"), std::string::npos) << e.what();
  }
}

TEST(TaskGroup, close_cancels_running_tasks_and_waits_for_them) {
  asio::io_context ctx;
  TaskGroup group(ctx.get_executor());
  Watch<int> never(0);
  std::atomic<int> finished = 0;
  auto waiter = [](WatchReceiver<int> rx, std::atomic<int>& done) -> asio::awaitable<void> {
    struct Count {
      std::atomic<int>& n;
      ~Count() { ++n; }
    } count{done};
    co_await rx.changed();
  };
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(group.spawn(waiter(never.subscribe(), finished)));
  bool closed = false;
  asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
    co_await asio::post(ctx, asio::use_awaitable);
    EXPECT_EQ(group.size(), 3u);
    co_await test::timeout_s(5, group.close());
    closed = true;
  }, asio::detached);
  ctx.run();
  EXPECT_TRUE(closed);
  EXPECT_EQ(finished, 3);
  EXPECT_EQ(group.size(), 0u);
  EXPECT_FALSE(group.spawn([]() -> asio::awaitable<void> { co_return; }()));
}

TEST(TaskGroup, reports_task_exceptions_but_not_cancellation) {
  asio::io_context ctx;
  int errors = 0;
  TaskGroup group(ctx.get_executor(), [&](std::exception_ptr) { ++errors; });
  group.spawn([]() -> asio::awaitable<void> {
    throw std::runtime_error("task failed");
    co_return;
  }());
  ctx.run();
  EXPECT_EQ(errors, 1);
  EXPECT_EQ(group.size(), 0u);
}

TEST(TaskGroup, destruction_cancels_what_is_left) {
  asio::io_context ctx;
  Watch<int> never(0);
  bool ended = false;
  {
    TaskGroup group(ctx.get_executor());
    group.spawn([](WatchReceiver<int> rx, bool& done) -> asio::awaitable<void> {
      try {
        co_await rx.changed();
      } catch (const std::system_error&) {
        done = true;
        throw;
      }
    }(never.subscribe(), ended));
    ctx.poll();
  }
  ctx.run();
  EXPECT_TRUE(ended);
}

TEST(TestTime, durations_scale_with_time_factor) {
  const double f = test::time_factor();
  EXPECT_GT(f, 0.0);
  EXPECT_EQ(test::secs(2).count(), static_cast<long long>(2000 * f));
  EXPECT_EQ(test::millis(10).count(), static_cast<long long>(10 * f));
}

}  // namespace
}  // namespace mosaik

namespace mosaik {
namespace {

TEST(TaskGroup, a_cancelled_timeout_race_is_not_reported_as_an_error) {
  asio::io_context ctx;
  int errors = 0;
  {
    TaskGroup group(ctx.get_executor(), [&](std::exception_ptr) { ++errors; });
    Watch<int> never(0);
    group.spawn([](WatchReceiver<int> rx) -> asio::awaitable<void> {
      (void)co_await with_timeout(rx.changed(), std::chrono::hours(1));
    }(never.subscribe()));
    ctx.poll();
  }
  ctx.run();
  EXPECT_EQ(errors, 0);
}

// A waiter on block_on's context returns (and the context goes) while another thread keeps
// notifying: the notifier must never hold the waiter's timer past that (ASan saw a
// notifier thread destroy a timer of an io_context that block_on had already destroyed).
TEST(Notifier, a_waiter_whose_context_ends_while_another_thread_notifies_is_never_touched_after) {
  Notifier notifier;
  std::atomic<bool> stop{false};
  auto notify_until_stopped = [&] {
    while (!stop.load()) notifier.notify();
  };
  std::thread first(notify_until_stopped);
  std::thread second(notify_until_stopped);
  for (int i = 0; i < 20000; ++i) {
    block_on([](Notifier& n) -> asio::awaitable<void> { co_await n.wait_change(n.version()); }(notifier));
  }
  stop = true;
  first.join();
  second.join();
}

}  // namespace
}  // namespace mosaik
