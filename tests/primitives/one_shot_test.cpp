#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "mosaik/primitives/async.hpp"
#include "support/time.hpp"

namespace one_shot_test {
namespace {

using namespace std::chrono_literals;
using mosaik::block_on;
using mosaik::OneShot;

TEST(OneShot, a_value_sent_before_anyone_waits_is_received_at_once) {
  auto shot = std::make_shared<OneShot<std::string>>();
  shot->send("first");
  shot->send("second");  // ignored: once only
  EXPECT_EQ(block_on(mosaik::test::timeout_s(5, OneShot<std::string>::receive(shot))), "first");
}

TEST(OneShot, a_send_from_another_thread_resumes_the_receiver_on_its_own_thread) {
  auto shot = std::make_shared<OneShot<int>>();
  asio::io_context ctx;
  int got = 0;
  std::thread::id resumed_on;
  asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
    got = co_await OneShot<int>::receive(shot);
    resumed_on = std::this_thread::get_id();
  }, asio::detached);
  ctx.poll();  // now it waits
  std::thread([shot] { shot->send(7); }).join();
  ctx.run_for(5s);
  EXPECT_EQ(got, 7);
  EXPECT_EQ(resumed_on, std::this_thread::get_id());
}

// Cancellation (here by with_timeout) ends the wait at once, and a later send finds no one.
TEST(OneShot, a_cancelled_receive_ends_at_once_and_a_later_send_is_harmless) {
  auto shot = std::make_shared<OneShot<int>>();
  asio::io_context ctx;
  bool timed_out = false;
  asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
    auto r = co_await mosaik::with_timeout(OneShot<int>::receive(shot), 20ms);
    timed_out = !r.has_value();
  }, asio::detached);
  ctx.run_for(5s);  // without the cancellation handler the wait outlives this bound
  EXPECT_TRUE(timed_out);
  EXPECT_TRUE(ctx.stopped());
  shot->send(1);
  ctx.restart();
  EXPECT_EQ(ctx.poll(), 0u);  // nothing woken
}

// The receiver holds no reference while it waits: when the senders drop the OneShot unsent,
// the waiting coroutine goes with it instead of both keeping each other alive.
TEST(OneShot, a_receiver_waiting_on_a_dropped_one_shot_is_destroyed_not_leaked) {
  auto shot = std::make_shared<OneShot<int>>();
  auto alive = std::make_shared<int>(0);
  std::weak_ptr<int> watch = alive;
  asio::io_context ctx;
  asio::co_spawn(ctx, [](std::shared_ptr<OneShot<int>> s, std::shared_ptr<int> held) -> asio::awaitable<void> {
    (void)co_await OneShot<int>::receive(std::move(s));
    ++*held;  // never reached
  }(shot, std::move(alive)), asio::detached);
  ctx.poll();
  EXPECT_FALSE(watch.expired());  // waiting
  shot.reset();
  ctx.poll();  // the coroutine's frames unwind on its executor
  EXPECT_TRUE(watch.expired());
}

}  // namespace
}  // namespace one_shot_test
