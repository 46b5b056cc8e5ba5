// The `mosaik` tool as issue 18 asks beyond the listings' content: a command configured by
// MOSAIK_* variables alone (here `streams`, which lists each stream with its producers), and
// a listing interrupted by SIGINT, which leaves and exits 130 without printing a listing.

#include <gtest/gtest.h>

#include <asio/this_coro.hpp>

#include "mosaik/mosaik.hpp"
#include "node_fixture.hpp"
#include "support/child_process.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace mosaik_env_signals_test {
namespace {

using test::ChildProcess;

constexpr const char* kNetName = "mosaik-env-signals-test";

struct Beat {
  std::uint64_t n = 0;
  MSGPACK_DEFINE(n);
  static constexpr std::string_view stream_name = "mosaik-tool-test/beat";
};

std::vector<std::pair<std::string, std::string>> env_for(const EndpointAddr& peer) {
  return {{"MOSAIK_NETWORK", kNetName}, {"MOSAIK_BOOTSTRAP", peer.to_string()}, {"MOSAIK_LISTEN", "127.0.0.1:0"},
          {"MOSAIK_NO_DHT", "1"},       {"MOSAIK_TIMEOUT", "10"},              {"MOSAIK_SETTLE_MS", "0"},
          {"MOSAIK_JSON", "1"},         {"MOSAIK_LOG", "warn"}};
}

// Outside the coroutines: g++ 12 cannot keep string-literal arrays in a coroutine frame.
std::vector<std::string> streams_command() { return {"streams"}; }
std::vector<std::string> slow_peers_command() { return {"peers", "--settle-ms", "30000"}; }
std::string online_line() { return "online on network"; }
std::string sigint_line() { return "SIGINT received, leaving the network"; }
std::string peers_json_key() { return "\"peers\":"; }

TEST(MosaikListing, streams_configured_by_MOSAIK_variables_alone_lists_each_stream_with_its_producer) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::make_node(kNetName);
    auto producer = a.streams().produce<Beat>();
    auto child = ChildProcess::spawn(co_await asio::this_coro::executor, MOSAIK_TOOL, streams_command(),
                                     env_for(a.local().addr()));
    CO_ASSERT_TRUE(co_await child.exit_code(20) == 0);
    const auto expected = fmt::format(R"({{"streams":[{{"id":"{}","producers":["{}"]}}]}})",
                                      producer.stream_id().to_hex(), a.local().id().to_string());
    EXPECT_NE(child.output().find(expected), std::string::npos) << child.output();
  });
}

TEST(MosaikSignals, sigint_interrupts_a_listing_which_leaves_and_exits_130_having_listed_nothing) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await test::make_node(kNetName);
    auto env = env_for(a.local().addr());
    env.back().second = "info";  // the node's "online" line: its signal handling is set up by then
    auto child = ChildProcess::spawn(co_await asio::this_coro::executor, MOSAIK_TOOL,
                                     slow_peers_command(), env);
    (void)co_await child.until_line(online_line(), 10);
    child.signal(SIGINT);
    EXPECT_EQ(co_await child.exit_code(10), 130) << child.output();
    EXPECT_NE(child.output().find(sigint_line()), std::string::npos) << child.output();
    EXPECT_EQ(child.output().find(peers_json_key()), std::string::npos) << child.output();
  });
}

}  // namespace
}  // namespace mosaik_env_signals_test
}  // namespace mosaik
