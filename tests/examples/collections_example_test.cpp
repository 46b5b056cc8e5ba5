// examples/collections as its users run it: one writer process fills a Map, two reader
// processes started after it follow it, each printing the versions it sees, and both end
// with every entry; SIGTERM makes the writer leave and exit 0. Loopback only.

#include <gtest/gtest.h>

#include <asio/ip/udp.hpp>
#include <asio/this_coro.hpp>

#include "mosaik/mosaik.hpp"
#include "support/child_process.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace {

using test::ChildProcess;

std::uint16_t free_udp_port(asio::any_io_executor ex) {
  asio::ip::udp::socket probe(ex, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return probe.local_endpoint().port();
}

TEST(CollectionsExample, two_reader_processes_follow_a_writer_process_to_its_last_entry) {
  block_on([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    const auto port = free_udp_port(ex);
    const auto id = SecretKey::from_seed("collections-example-writer").public_key();
    auto writer = ChildProcess::spawn(ex, MOSAIK_COLLECTIONS_EXAMPLE,
                                      {"--role", "writer", "--key-seed", "collections-example-writer", "--listen",
                                       fmt::format("127.0.0.1:{}", port), "--count", "20"});
    (void)co_await writer.until_line("writer done: 20 entries", 30);
    const auto peer = fmt::format("{}@127.0.0.1:{}", id.to_string(), port);
    auto a = ChildProcess::spawn(ex, MOSAIK_COLLECTIONS_EXAMPLE, {"--role", "reader", "--peers", peer, "--count", "20"});
    auto b = ChildProcess::spawn(ex, MOSAIK_COLLECTIONS_EXAMPLE, {"--role", "reader", "--peers", peer, "--count", "20"});
    EXPECT_EQ(co_await a.exit_code(60), 0) << a.output();
    EXPECT_EQ(co_await b.exit_code(60), 0) << b.output();
    for (const auto* reader : {&a, &b}) {
      EXPECT_NE(reader->output().find("version "), std::string::npos) << reader->output();
      EXPECT_NE(reader->output().find("reader done: 20 entries"), std::string::npos) << reader->output();
      EXPECT_NE(reader->output().find("coin-20 = 2000"), std::string::npos) << reader->output();
    }
    writer.signal(SIGTERM);
    EXPECT_EQ(co_await writer.exit_code(15), 0) << writer.output();
  });
}

}  // namespace
}  // namespace mosaik
