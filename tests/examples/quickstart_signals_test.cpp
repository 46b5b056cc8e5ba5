// SIGTERM or SIGINT on a quickstart process (issue 14): it leaves the network gracefully and
// exits 0, and the other side sees it go within 1 s. Real processes, loopback only.

#include <gtest/gtest.h>

#include <asio/this_coro.hpp>
#include <chrono>
#include <csignal>

#include "mosaik/mosaik.hpp"
#include "support/child_process.hpp"
#include "support/co_assert.hpp"
#include "support/time.hpp"

namespace mosaik {
namespace quickstart_signals_test {
namespace {

using test::ChildProcess;
using Clock = std::chrono::steady_clock;

struct Pair {
  ChildProcess producer;
  ChildProcess consumer;
};

// A producer that sends until stopped and a consumer subscribed to it, data flowing.
asio::awaitable<Pair> streaming_pair() {
  auto ex = co_await asio::this_coro::executor;
  auto producer = ChildProcess::spawn(
      ex, MOSAIK_QUICKSTART, {"--role", "producer", "--count", "0", "--interval-ms", "20"});
  (void)co_await producer.until_line("run the consumer with", 10);
  const auto address_line = co_await producer.until_line("--peer", 5);
  const auto peer = address_line.substr(address_line.rfind(' ') + 1);
  auto consumer = ChildProcess::spawn(ex, MOSAIK_QUICKSTART,
                                      {"--role", "consumer", "--peer", peer, "--count", "0"});
  (void)co_await consumer.until_line("consumer: subscribed to producer", 15);
  (void)co_await consumer.until_line("consumer: received sensor", 5);
  (void)co_await producer.until_line("producer: consumer", 5);  // "... subscribed"
  co_return Pair{std::move(producer), std::move(consumer)};
}

// Outside the coroutine: g++ 12 cannot keep string-literal arrays in a coroutine frame.
std::vector<std::string> lost_and_gone() {
  return {"consumer: lost producer", "left the network"};
}

double elapsed_ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

TEST(QuickstartSignals,
     sigterm_on_the_producer_the_consumer_sees_it_leave_within_1s_and_it_exits_0) {
  block_on([]() -> asio::awaitable<void> {
    auto [producer, consumer] = co_await streaming_pair();
    const auto sent = Clock::now();
    producer.signal(SIGTERM);
    // Both within 1 s, in either order: the subscription's end and the departure.
    co_await consumer.until_all(lost_and_gone(), 1);
    const auto seen_ms = elapsed_ms(sent);
    const int code = co_await producer.exit_code(5);
    const auto exited_ms = elapsed_ms(sent);
    fmt::print(
        "producer SIGTERM: the consumer saw it lost and gone after {:.1f} ms; it exited after "
        "{:.1f} ms\n",
        seen_ms, exited_ms);
    EXPECT_EQ(code, 0) << producer.output();
    EXPECT_NE(producer.output().find("SIGTERM received, leaving the network"), std::string::npos);
    EXPECT_NE(consumer.output().find("GracefulShutdown(204)"), std::string::npos)
        << consumer.output();
    consumer.signal(SIGTERM);
    EXPECT_EQ(co_await consumer.exit_code(5), 0) << consumer.output();
  });
}

TEST(QuickstartSignals,
     sigterm_on_the_consumer_the_producer_sees_it_leave_within_1s_and_it_exits_0) {
  block_on([]() -> asio::awaitable<void> {
    auto [producer, consumer] = co_await streaming_pair();
    const auto sent = Clock::now();
    consumer.signal(SIGTERM);
    const auto left =
        co_await producer.until_line(" left", 1);  // "consumer X left" or "peer X left the network"
    const auto left_ms = elapsed_ms(sent);
    const int code = co_await consumer.exit_code(5);
    const auto exited_ms = elapsed_ms(sent);
    fmt::print(
        "consumer SIGTERM: producer printed '{}' after {:.1f} ms; it exited after {:.1f} ms\n",
        left, left_ms, exited_ms);
    EXPECT_EQ(code, 0) << consumer.output();
    producer.signal(SIGINT);  // Ctrl-C takes the same path
    EXPECT_EQ(co_await producer.exit_code(5), 0) << producer.output();
    EXPECT_NE(producer.output().find("SIGINT received, leaving the network"), std::string::npos);
  });
}

}  // namespace
}  // namespace quickstart_signals_test
}  // namespace mosaik
