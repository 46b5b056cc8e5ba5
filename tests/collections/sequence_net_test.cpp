// Set, Vec and PriorityQueue on real nodes over loopback: every mutation reaches a reader on
// another node through reaches(v); two Vec writers interleave and every replica holds the
// same order; a late reader and a late writer of a PriorityQueue catch up past a compacted
// log (the by-priority index rebuilt from the snapshot); a bounded queue evicts everywhere.
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "collections_fixture.hpp"
#include "mosaik/collections/priority_queue.hpp"
#include "mosaik/collections/set.hpp"
#include "mosaik/collections/vec.hpp"
#include "mosaik/network/network.hpp"
#include "mosaik/primitives/async/block_on.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace sequence_net_test {
namespace {

using collections::PriorityQueue;
using collections::PriorityRange;
using collections::Set;
using collections::Vec;
using collections::Version;

const NetworkId kNet = "collections-sequence-net-test";

template <class C>
concept Pushes = requires(const C& c, std::string v) { c.push_back(v); };
static_assert(!Pushes<collections::VecReader<std::string>> && Pushes<collections::VecWriter<std::string>>);

template <class T>
std::vector<T> items_of(const auto& snapshot) {
  return std::vector<T>(snapshot.begin(), snapshot.end());
}
// Outside the coroutines: g++ 12 cannot keep an initializer list's array in a frame.
std::vector<std::string> strings(std::initializer_list<const char*> list) { return {list.begin(), list.end()}; }
std::vector<std::string> node_names() { return strings({"n2", "n3", "n4"}); }
std::vector<std::string> after_vec_ops() { return strings({"n0", "n2", "x", "n3"}); }

TEST(SetNet, every_mutation_reaches_a_reader_on_another_node) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await test::make_converged_nodes(kNet, 2, [] { return test::fast_discovery(); });
    const auto options = test::collection_options();
    auto writer = Set<std::string>::writer_with_options(nodes[0], StoreId("peers"), options);
    auto reader = Set<std::string>::reader_with_options(nodes[1], StoreId("peers"), options);
    co_await test::timeout_s(10, writer.when().online());
    auto v1 = co_await test::timeout_s(10, writer.insert("n1"));
    auto again = co_await test::timeout_s(10, writer.insert("n1"));  // present: commits, no change
    auto v2 = co_await test::timeout_s(10, writer.extend(node_names()));
    CO_ASSERT_TRUE(v1 && again && v2 && *again > *v1);
    co_await test::reaches(reader, *v2);
    CO_ASSERT_TRUE(reader.len() == 4u && reader.contains("n1") && reader.contains("n4"));
    CO_ASSERT_TRUE(reader.is_subset(writer) && writer.is_subset(reader));
    auto v3 = co_await test::timeout_s(10, writer.remove("n1"));
    CO_ASSERT_TRUE(v3.has_value());
    co_await test::reaches(reader, *v3);
    CO_ASSERT_FALSE(reader.contains("n1"));
    CO_ASSERT_TRUE(items_of<std::string>(reader.iter()) == node_names());  // ordered alike everywhere
    auto v4 = co_await test::timeout_s(10, writer.clear());
    CO_ASSERT_TRUE(v4.has_value());
    co_await test::reaches(reader, *v4);
    CO_ASSERT_TRUE(reader.is_empty());
  }());
}

TEST(VecNet, every_mutation_reaches_a_reader_on_another_node) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await test::make_converged_nodes(kNet, 2, [] { return test::fast_discovery(); });
    const auto options = test::collection_options();
    auto writer = Vec<std::string>::writer_with_options(nodes[0], StoreId("events"), options);
    auto reader = Vec<std::string>::reader_with_options(nodes[1], StoreId("events"), options);
    co_await test::timeout_s(10, writer.when().online());
    CO_ASSERT_TRUE((co_await test::timeout_s(10, writer.push_back("n1"))).has_value());
    CO_ASSERT_TRUE((co_await test::timeout_s(10, writer.push_front("n0"))).has_value());
    CO_ASSERT_TRUE((co_await test::timeout_s(10, writer.extend(node_names()))).has_value());  // n0 n1 n2 n3 n4
    CO_ASSERT_TRUE((co_await test::timeout_s(10, writer.insert(2, "x"))).has_value());        // n0 n1 x n2 n3 n4
    CO_ASSERT_TRUE((co_await test::timeout_s(10, writer.remove(1))).has_value());             // n0 x n2 n3 n4
    CO_ASSERT_TRUE((co_await test::timeout_s(10, writer.swap(1, 2))).has_value());            // n0 n2 x n3 n4
    CO_ASSERT_TRUE((co_await test::timeout_s(10, writer.pop_back())).has_value());            // n0 n2 x n3
    auto past_end = co_await test::timeout_s(10, writer.remove(99));  // out of bounds: commits, no change
    CO_ASSERT_TRUE(past_end.has_value());
    co_await test::reaches(reader, *past_end);
    CO_ASSERT_TRUE(items_of<std::string>(reader.iter()) == after_vec_ops());
    CO_ASSERT_TRUE(reader.front() == "n0" && reader.head() == "n0" && reader.back() == "n3" && reader.last() == "n3");
    CO_ASSERT_TRUE(reader.get(2) == "x" && !reader.get(4).has_value());
    CO_ASSERT_TRUE(reader.index_of("x") == 2u && reader.contains("n2") && !reader.contains("n1"));
    CO_ASSERT_TRUE((co_await test::timeout_s(10, writer.pop_front())).has_value());
    auto truncated = co_await test::timeout_s(10, writer.truncate(1));
    CO_ASSERT_TRUE(truncated.has_value());
    co_await test::reaches(reader, *truncated);
    CO_ASSERT_TRUE(reader.len() == 1u && reader.get(0) == "n2");
    auto cleared = co_await test::timeout_s(10, writer.clear());
    CO_ASSERT_TRUE(cleared.has_value());
    co_await test::reaches(reader, *cleared);
    CO_ASSERT_TRUE(reader.is_empty());
  }());
}

asio::awaitable<Version> push_run(collections::VecWriter<std::string> w, std::string name, int count) {
  Version last;
  for (int i = 0; i < count; ++i) {
    std::string item = name + std::to_string(i);
    auto v = co_await w.push_back(std::move(item));
    if (!v) throw std::runtime_error("push_back failed: " + std::string(v.error().message()));
    last = std::max(last, *v);
  }
  co_return last;
}

TEST(VecNet, two_writers_push_concurrently_and_every_replica_holds_the_same_order) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await test::make_converged_nodes(kNet, 3, [] { return test::fast_discovery(); });
    const auto options = test::collection_options(2);
    auto a = Vec<std::string>::writer_with_options(nodes[0], StoreId("log"), options);
    auto b = Vec<std::string>::writer_with_options(nodes[1], StoreId("log"), options);
    auto reader = Vec<std::string>::reader_with_options(nodes[2], StoreId("log"), options);
    co_await test::timeout_s(15, a.when().online());
    co_await test::timeout_s(15, b.when().online());
    using namespace asio::experimental::awaitable_operators;
    auto [va, vb] = co_await test::timeout_s(30, push_run(a, "a", 40) && push_run(b, "b", 40));
    const Version last = std::max(va, vb);
    co_await test::reaches(a, last);
    co_await test::reaches(b, last);
    co_await test::reaches(reader, last);
    const auto want = items_of<std::string>(a.iter());
    CO_ASSERT_TRUE(want.size() == 80u);
    CO_ASSERT_TRUE(items_of<std::string>(b.iter()) == want);
    CO_ASSERT_TRUE(items_of<std::string>(reader.iter()) == want);
  }());
}

using Book = PriorityQueue<std::uint64_t, std::string, std::string>;
using Entry = std::tuple<std::uint64_t, std::string, std::string>;

std::vector<Entry> orders() { return {{100, "o1", "x"}, {200, "o2", "y"}, {50, "o3", "z"}, {300, "o4", "w"}}; }

TEST(PriorityQueueNet, every_mutation_reaches_a_reader_on_another_node) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await test::make_converged_nodes(kNet, 2, [] { return test::fast_discovery(); });
    const auto options = test::collection_options();
    auto writer = Book::writer_with_options(nodes[0], StoreId("bids"), options);
    auto reader = Book::reader_with_options(nodes[1], StoreId("bids"), options);
    co_await test::timeout_s(10, writer.when().online());
    auto v1 = co_await test::timeout_s(10, writer.extend(orders()));
    CO_ASSERT_TRUE(v1.has_value());
    co_await test::reaches(reader, *v1);
    CO_ASSERT_TRUE(reader.len() == 4u && reader.min_priority() == 50u && reader.max_priority() == 300u);
    CO_ASSERT_TRUE(std::get<1>(*reader.get_min()) == "o3" && std::get<1>(*reader.get_max()) == "o4");
    CO_ASSERT_TRUE((co_await test::timeout_s(10, writer.update_priority("o3", 400))).has_value());
    CO_ASSERT_TRUE((co_await test::timeout_s(10, writer.update_value("o1", "x2"))).has_value());
    CO_ASSERT_TRUE((co_await test::timeout_s(10, writer.compare_exchange_value("o2", "stale", "no"))).has_value());
    CO_ASSERT_TRUE((co_await test::timeout_s(10, writer.compare_exchange_value("o4", "w", std::nullopt))).has_value());
    auto v2 = co_await test::timeout_s(10, writer.insert(150, "o5", "v"));
    CO_ASSERT_TRUE(v2.has_value());
    co_await test::reaches(reader, *v2);
    CO_ASSERT_TRUE(reader.get_priority("o3") == 400u && reader.get("o1") == "x2" && reader.get("o2") == "y");
    CO_ASSERT_FALSE(reader.contains_key("o4"));
    const auto asc = reader.iter_asc();
    CO_ASSERT_TRUE(asc.size() == 4u && std::get<1>(asc.front()) == "o1" && std::get<1>(asc.back()) == "o3");
    const auto desc = reader.iter_desc();
    CO_ASSERT_TRUE(std::equal(desc.begin(), desc.end(), asc.rbegin(), asc.rend()));
    auto v3 = co_await test::timeout_s(10, writer.remove_range(PriorityRange<std::uint64_t>::below(160)));  // o1, o5
    CO_ASSERT_TRUE(v3.has_value());
    co_await test::reaches(reader, *v3);
    CO_ASSERT_TRUE(reader.len() == 2u && reader.min_priority() == 200u);
    auto v4 = co_await test::timeout_s(10, writer.remove("o2"));
    auto v5 = co_await test::timeout_s(10, writer.clear());
    CO_ASSERT_TRUE(v4 && v5);
    co_await test::reaches(reader, *v5);
    CO_ASSERT_TRUE(reader.is_empty());
  }());
}

TEST(PriorityQueueNet, a_late_reader_and_a_late_writer_catch_up_past_a_compacted_log) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await test::make_converged_nodes(kNet, 3, [] { return test::fast_discovery(); });
    const auto options = test::collection_options(1, 50);
    auto writer = Book::writer_with_options(nodes[0], StoreId("late-book"), options);
    co_await test::timeout_s(10, writer.when().online());
    Version last;
    for (std::uint64_t i = 0; i < 150; ++i) {  // 150 versions: past two snapshot points
      auto v = co_await test::timeout_s(10, writer.insert(i * 7 % 101, "k" + std::to_string(i % 120), "v"));
      CO_ASSERT_TRUE(v.has_value());
      last = *v;
    }
    auto reader = Book::reader_with_options(nodes[1], StoreId("late-book"), options);
    auto late_writer = Book::writer_with_options(nodes[2], StoreId("late-book"), options);
    co_await test::reaches(reader, last);
    co_await test::reaches(late_writer, last);
    CO_ASSERT_TRUE(reader.len() == 120u);
    CO_ASSERT_TRUE(reader.iter_asc() == writer.iter_asc());  // the by-priority index rebuilt alike
    CO_ASSERT_TRUE(late_writer.iter_desc() == writer.iter_desc());
    auto v = co_await test::timeout_s(10, late_writer.insert(1000, "top", "t"));
    CO_ASSERT_TRUE(v.has_value());
    co_await test::reaches(writer, *v);
    co_await test::reaches(reader, *v);
    CO_ASSERT_TRUE(std::get<1>(*writer.get_max()) == "top" && std::get<1>(*reader.get_max()) == "top");
  }());
}

TEST(PriorityQueueNet, a_bounded_queue_evicts_its_lowest_priorities_on_every_node) {
  block_on([]() -> asio::awaitable<void> {
    auto nodes = co_await test::make_converged_nodes(kNet, 2, [] { return test::fast_discovery(); });
    const auto options = test::collection_options();
    auto writer = Book::bounded_writer(nodes[0], StoreId("top3"), 3, options);
    auto reader = Book::bounded_reader(nodes[1], StoreId("top3"), 3, options);
    co_await test::timeout_s(10, writer.when().online());
    auto v = co_await test::timeout_s(10, writer.extend(orders()));  // 4 entries, capacity 3: 50 goes
    CO_ASSERT_TRUE(v.has_value());
    auto v2 = co_await test::timeout_s(10, writer.insert(10, "low", "l"));  // below everything: evicted at once
    CO_ASSERT_TRUE(v2.has_value());
    co_await test::reaches(reader, *v2);
    CO_ASSERT_TRUE(reader.len() == 3u && reader.min_priority() == 100u && !reader.contains_key("low"));
    CO_ASSERT_TRUE(writer.iter_asc() == reader.iter_asc());
  }());
}

}  // namespace
}  // namespace sequence_net_test
}  // namespace mosaik
