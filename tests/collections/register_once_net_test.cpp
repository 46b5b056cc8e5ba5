// Register and Once on real nodes over loopback: every write reaches a reader on another
// node; two writers racing on Once agree on one winner for good; compare-exchange races on
// a Register let exactly one writer win.
#include <gtest/gtest.h>

#include <string>

#include "collections_fixture.hpp"
#include "mosaik/collections/once.hpp"
#include "mosaik/collections/register.hpp"
#include "mosaik/network/network.hpp"
#include "mosaik/primitives/async/block_on.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace register_once_net_test {
namespace {

using collections::Once;
using collections::Register;
using collections::Version;

const NetworkId kNet = "collections-register-net-test";

template <class C>
concept Writes = requires(const C& c, std::string v) { c.write(v); };
static_assert(!Writes<collections::RegisterReader<std::string>> && Writes<collections::RegisterWriter<std::string>>);
static_assert(!Writes<collections::OnceReader<std::string>> && Writes<collections::OnceWriter<std::string>>);

TEST(RegisterNet, writes_compare_exchanges_and_clear_reach_a_reader_on_another_node) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await test::make_converged_nodes(kNet, 2, [] { return test::fast_discovery(); });
    const auto options = test::collection_options();
    auto writer = Register<std::string>::writer_with_options(nodes[0], StoreId("config"), options);
    auto reader = Register<std::string>::reader_with_options(nodes[1], StoreId("config"), options);
    co_await test::timeout_s(10, writer.when().online());
    CO_ASSERT_TRUE(reader.is_empty());

    auto v1 = co_await test::timeout_s(10, writer.write("v1"));
    CO_ASSERT_TRUE(v1.has_value() && writer.read() == "v1");
    co_await test::reaches(reader, *v1);
    CO_ASSERT_TRUE(reader.read() == "v1" && reader.get() == "v1");

    auto v2 = co_await test::timeout_s(10, writer.set("v2"));
    auto stale = co_await test::timeout_s(10, writer.compare_exchange(std::string("v1"), std::string("lost")));
    auto swapped = co_await test::timeout_s(10, writer.compare_exchange(std::string("v2"), std::string("v3")));
    CO_ASSERT_TRUE(v2 && stale && swapped && *stale > *v2 && *swapped > *stale);
    co_await test::reaches(reader, *swapped);
    CO_ASSERT_TRUE(reader.read() == "v3");

    auto cleared = co_await test::timeout_s(10, writer.clear());
    CO_ASSERT_TRUE(cleared.has_value());
    co_await test::reaches(reader, *cleared);
    CO_ASSERT_TRUE(reader.is_empty());
  }());
}

TEST(RegisterNet, of_two_writers_compare_exchanging_from_empty_exactly_one_wins) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await test::make_converged_nodes(kNet, 2, [] { return test::fast_discovery(); });
    const auto options = test::collection_options(2);
    auto a = Register<std::string>::writer_with_options(nodes[0], StoreId("claim"), options);
    auto b = Register<std::string>::writer_with_options(nodes[1], StoreId("claim"), options);
    co_await test::timeout_s(15, a.when().online());
    co_await test::timeout_s(15, b.when().online());
    using namespace asio::experimental::awaitable_operators;
    auto [ra, rb] = co_await test::timeout_s(
        10, a.compare_exchange(std::nullopt, std::string("a")) && b.compare_exchange(std::nullopt, std::string("b")));
    CO_ASSERT_TRUE(ra.has_value() && rb.has_value());
    const Version last = std::max(*ra, *rb);
    co_await test::reaches(a, last);
    co_await test::reaches(b, last);
    // The one ordered first won; the other's exchange found a value and changed nothing.
    const std::string winner = *ra < *rb ? "a" : "b";
    CO_ASSERT_TRUE(a.read() == winner && b.read() == winner);
  }());
}

TEST(OnceNet, the_first_write_wins_on_every_node_and_later_writes_change_nothing) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await test::make_converged_nodes(kNet, 3, [] { return test::fast_discovery(); });
    const auto options = test::collection_options(2);
    auto a = Once<std::string>::writer_with_options(nodes[0], StoreId("genesis"), options);
    auto b = Once<std::string>::writer_with_options(nodes[1], StoreId("genesis"), options);
    auto reader = Once<std::string>::reader_with_options(nodes[2], StoreId("genesis"), options);
    co_await test::timeout_s(15, a.when().online());
    co_await test::timeout_s(15, b.when().online());
    CO_ASSERT_TRUE(reader.is_none() && !reader.is_some());
    using namespace asio::experimental::awaitable_operators;
    auto [ra, rb] = co_await test::timeout_s(10, a.write(std::string("from-a")) && b.write(std::string("from-b")));
    CO_ASSERT_TRUE(ra.has_value() && rb.has_value());
    const std::string winner = *ra < *rb ? "from-a" : "from-b";
    auto later = co_await test::timeout_s(10, a.set(std::string("overwrite-attempt")));
    CO_ASSERT_TRUE(later.has_value() && *later > std::max(*ra, *rb));
    co_await test::reaches(reader, *later);
    co_await test::reaches(b, *later);
    CO_ASSERT_TRUE(reader.read() == winner && a.read() == winner && b.get() == winner);
    CO_ASSERT_TRUE(reader.is_some());
  }());
}

}  // namespace
}  // namespace register_once_net_test
}  // namespace mosaik
