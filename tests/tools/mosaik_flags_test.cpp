// The `mosaik` tool's command line (issue 18): every bad flag exits non-zero with a message
// naming the flag; an unreachable bootstrap peer is named too.

#include <gtest/gtest.h>

#include <asio/this_coro.hpp>

#include "mosaik/mosaik.hpp"
#include "support/child_process.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace mosaik_flags_test {
namespace {

using test::ChildProcess;

std::string some_peer_id() {
  return SecretKey::from_seed("mosaik-flags-test").public_key().to_string();
}

struct FlagCase {
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string names;  // what the message must name
};

std::vector<FlagCase> bad_flags() {
  const std::string peer = some_peer_id() + "@127.0.0.1:9";
  return {
      {{}, {}, "subcommand"},
      {{"frobnicate"}, {}, "frobnicate"},
      {{"peers", "--bootstrap", peer}, {}, "--network"},
      {{"peers", "--network", "", "--bootstrap", peer}, {}, "--network"},
      {{"peers", "--network", "n", "--bootstrap", "not-a-peer"}, {}, "--bootstrap"},
      {{"peers", "--network", "n", "--bootstrap", some_peer_id()}, {}, "--bootstrap"},
      {{"peers", "--network", "n", "--no-dht"}, {}, "--bootstrap"},
      {{"watch", "--network", "n"}, {{"MOSAIK_BOOTSTRAP", "junk"}}, "--bootstrap"},
      {{"streams", "--network", "n", "--bootstrap", peer, "--listen", "foo"}, {}, "--listen"},
      {{"groups", "--network", "n", "--bootstrap", peer}, {{"MOSAIK_LISTEN", "1.2.3.4"}},
       "--listen"},
      {{"peers", "--network", "n", "--bootstrap", peer, "--timeout", "-1"}, {}, "--timeout"},
      {{"peers", "--network", "n", "--bootstrap", peer, "--settle-ms", "soon"}, {}, "--settle-ms"},
      {{"peers", "--network", "n", "--bootstrap", peer, "--secret", ""}, {}, "--secret"},
      {{"peers", "--network", "n", "--bootstrap", peer, "--network-secret", ""}, {},
       "--network-secret"},
      {{"peers", "--network", "n", "--bootstrap", peer, "--bogus"}, {}, "--bogus"},
      {{"watch", "--network", "n", "--bootstrap", peer, "--settle-ms", "1"}, {}, "--settle-ms"},
      {{"bootstrap", "--network", "n", "--tag", ""}, {}, "--tag"},
      {{"bootstrap", "--network", "n", "--json"}, {}, "--json"},
      {{"bootstrap", "--network", "n", "--listen", "127.0.0.1:99999"}, {}, "--listen"},
      {{"bootstrap", "--network", "n", "--metrics", "localhost"}, {}, "--metrics"},
      {{"peers", "--network", "n", "--bootstrap", peer, "--metrics", "127.0.0.1:0"}, {}, "--metrics"},
  };
}

TEST(MosaikFlags, every_bad_flag_exits_non_zero_naming_the_flag) {
  block_on([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    for (const auto& c : bad_flags()) {
      auto child = ChildProcess::spawn(ex, MOSAIK_TOOL, c.args, c.env);
      const int code = co_await child.exit_code(10);
      const auto out = child.output();
      EXPECT_GT(code, 0) << fmt::format("{} exited {}:\n{}", fmt::join(c.args, " "), code, out);
      EXPECT_NE(out.find(c.names), std::string::npos) << fmt::format(
          "{}: the message does not name {}:\n{}", fmt::join(c.args, " "), c.names, out);
    }
  });
}

TEST(MosaikFlags, an_unreachable_bootstrap_peer_is_named_and_exits_1) {
  block_on([]() -> asio::awaitable<void> {
    // Port 9 (discard) on loopback: nothing answers QUIC there.
    auto ex = co_await asio::this_coro::executor;
    const std::string peer = some_peer_id() + "@127.0.0.1:9";
    auto child = ChildProcess::spawn(ex, MOSAIK_TOOL,
                                     {"peers", "--network", "n", "--bootstrap", peer, "--no-dht",
                                      "--listen", "127.0.0.1:0", "--timeout", "1"});
    EXPECT_EQ(co_await child.exit_code(15), 1) << child.output();
    EXPECT_NE(child.output().find("--bootstrap " + peer), std::string::npos) << child.output();
  });
}

// Outside the coroutine: g++ 12 cannot keep string-literal arrays in a coroutine frame.
std::vector<std::string> commands() { return {"bootstrap", "peers", "watch", "streams", "groups"}; }

TEST(MosaikFlags, help_lists_every_command_and_exits_zero) {
  block_on([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto child = ChildProcess::spawn(ex, MOSAIK_TOOL, {"--help"});
    CO_ASSERT_TRUE(co_await child.exit_code(10) == 0);
    for (const auto& command : commands()) {
      EXPECT_NE(child.output().find(command), std::string::npos) << child.output();
    }
  });
}

}  // namespace
}  // namespace mosaik_flags_test
}  // namespace mosaik
