// The quickstart's command line, as a user meets it (issue 14, item 4): every flag error
// exits non-zero with a message naming the flag; --help shows the defaults; a consumer that
// cannot reach its producer, or joins after the readings were sent, says why.

#include <gtest/gtest.h>

#include <asio/this_coro.hpp>

#include "mosaik/mosaik.hpp"
#include "support/child_process.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace quickstart_flags_test {
namespace {

using test::ChildProcess;

// A valid peer id (any key's), with or without an address after it.
std::string some_peer_id() {
  return SecretKey::from_seed("quickstart-flags-test").public_key().to_string();
}

struct FlagCase {
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string names;  // the flag the message must name
};

TEST(QuickstartFlags, every_flag_error_exits_non_zero_naming_the_flag) {
  const std::vector<FlagCase> cases = {
      {{"--listen", "foo"}, {}, "--listen"},
      {{"--listen", "1.2.3.4"}, {}, "--listen"},
      {{"--listen", "127.0.0.1:99999"}, {}, "--listen"},
      {{}, {{"MOSAIK_LISTEN", "foo"}}, "--listen"},
      {{"--peer", some_peer_id()}, {}, "--peer"},  // an id without an address
      {{"--peer", "not-a-peer"}, {}, "--peer"},
      {{"--peer", some_peer_id() + "@127.0.0.1"}, {}, "--peer"},
      {{"--role", "consumer"}, {}, "--peer"},  // a consumer needs its producer's address
      {{"--role", "observer"}, {}, "--role"},
      {{"--count", "-1"}, {}, "--count"},
      {{"--count", "ten"}, {}, "--count"},
      {{"--interval-ms", "1.5"}, {}, "--interval-ms"},
      {{"--timeout", "-5"}, {}, "--timeout"},
      {{"--timeout", "99999999999"}, {}, "--timeout"},
      {{"--bogus"}, {}, "--bogus"},
  };
  block_on([&cases]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    for (const auto& c : cases) {
      auto child = ChildProcess::spawn(ex, MOSAIK_QUICKSTART, c.args, c.env);
      const int code = co_await child.exit_code(10);
      const auto out = child.output();
      EXPECT_GT(code, 0) << fmt::format("{} exited {}:\n{}", fmt::join(c.args, " "), code, out);
      EXPECT_NE(out.find(c.names), std::string::npos) << fmt::format(
          "{}: the message does not name {}:\n{}", fmt::join(c.args, " "), c.names, out);
    }
  });
}

// Outside the coroutine: g++ 12 cannot keep string-literal arrays in a coroutine frame.
std::vector<std::string> help_must_show() {
  return {"--role TEXT:{producer,consumer,both}=both",
          "=sensor-network",
          "=0.0.0.0:0",
          "--count UINT=10",
          "--interval-ms UINT=100",
          "--timeout UINT=60",
          "SIGTERM"};
}

TEST(QuickstartFlags, help_shows_every_default_and_exits_zero) {
  block_on([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto child = ChildProcess::spawn(ex, MOSAIK_QUICKSTART, {"--help"});
    CO_ASSERT_TRUE(co_await child.exit_code(10) == 0);
    const auto out = child.output();
    for (const auto& shown : help_must_show()) {
      EXPECT_NE(out.find(shown), std::string::npos)
          << fmt::format("{} missing from:\n{}", shown, out);
    }
  });
}

TEST(QuickstartFlags, a_consumer_that_cannot_reach_its_peer_names_it_and_exits_non_zero) {
  block_on([]() -> asio::awaitable<void> {
    // Port 9 (discard) on loopback: nothing answers QUIC there.
    auto ex = co_await asio::this_coro::executor;
    auto child = ChildProcess::spawn(
        ex, MOSAIK_QUICKSTART,
        {"--role", "consumer", "--peer", some_peer_id() + "@127.0.0.1:9", "--timeout", "1"});
    CO_ASSERT_TRUE(co_await child.exit_code(15) == 1);
    const auto out = child.output();
    EXPECT_NE(out.find("--peer " + some_peer_id() + "@127.0.0.1:9: not reachable within 1 s"),
              std::string::npos)
        << out;
  });
}

// The producer sends its one reading to the first consumer, which waits for more (so the
// producer stays up); a second consumer subscribes after that and is told why nothing comes.
TEST(QuickstartFlags, a_consumer_that_joins_after_the_readings_were_sent_says_why_nothing_came) {
  block_on([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto producer = ChildProcess::spawn(ex, MOSAIK_QUICKSTART,
                                        {"--role", "producer", "--count", "1", "--timeout", "30"});
    (void)co_await producer.until_line("run the consumer with", 10);
    const auto address_line = co_await producer.until_line("--peer", 5);
    const auto peer = address_line.substr(address_line.rfind(' ') + 1);
    auto first = ChildProcess::spawn(
        ex, MOSAIK_QUICKSTART,
        {"--role", "consumer", "--peer", peer, "--count", "2", "--timeout", "30"});
    (void)co_await first.until_line("consumer: received sensor", 15);
    (void)co_await producer.until_line("sent all 1 readings", 5);
    auto late = ChildProcess::spawn(ex, MOSAIK_QUICKSTART,
                                    {"--role", "consumer", "--peer", peer, "--timeout", "2"});
    (void)co_await late.until_line("consumer: subscribed to producer", 15);
    CO_ASSERT_TRUE(co_await late.exit_code(15) == 1);
    const auto out = late.output();
    EXPECT_NE(out.find("no reading for 2 s (--timeout) after 0 of 10"), std::string::npos) << out;
    EXPECT_NE(out.find("sends each reading once"), std::string::npos) << out;
  });
}

}  // namespace
}  // namespace quickstart_flags_test
}  // namespace mosaik
