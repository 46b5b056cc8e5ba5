#pragma once
// PriorityQueue<P, K, V>: a replicated double-ended priority queue of (priority, key, value)
// entries with unique keys (the seed's PriorityQueue), ordered by (priority, key) on every
// member. A bounded queue (bounded_writer/bounded_reader) evicts its lowest priorities
// whenever a mutation grows it past its capacity.
//
//   auto book = PriorityQueue<std::uint64_t, std::string, Order>::writer(network, StoreId("bids"));
//   co_await book.insert(100, "order-1", order);
//   co_await book.remove_range(PriorityRange<std::uint64_t>::below(50));   // the seed's ..50
//   book.get_max();   // optional<tuple<P, K, V>>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include <mosaik/collections/detail/collection.hpp>
#include <mosaik/collections/detail/constructors.hpp>
#include <mosaik/collections/detail/priority_queue_machine.hpp>
#include <mosaik/collections/type_name.hpp>

namespace mosaik::collections {

// A range of priorities: the seed's RangeBounds<P> (..c, ..=c, c.., lo..hi, lo..=hi, ..).
template <class P>
struct PriorityRange {
  using Bound = typename PersistentPriorityQueue<P, int, int>::Bound;
  Bound lo;
  Bound hi;
  static PriorityRange below(P c) { return {Bound::unbounded(), Bound::excluded(std::move(c))}; }
  static PriorityRange at_most(P c) { return {Bound::unbounded(), Bound::included(std::move(c))}; }
  static PriorityRange at_least(P c) { return {Bound::included(std::move(c)), Bound::unbounded()}; }
  static PriorityRange between(P lo, P hi) { return {Bound::included(std::move(lo)), Bound::excluded(std::move(hi))}; }
  static PriorityRange between_inclusive(P lo, P hi) {
    return {Bound::included(std::move(lo)), Bound::included(std::move(hi))};
  }
  static PriorityRange all() { return {Bound::unbounded(), Bound::unbounded()}; }
};

template <class P, class K, class V, bool IsWriter>
class PriorityQueueHandle : public detail::Collection<detail::DepqMachine<P, K, V>> {
  using Machine = detail::DepqMachine<P, K, V>;
  using Base = detail::Collection<Machine>;
  using Command = detail::DepqCommand<P, K, V>;

 public:
  using Entry = std::tuple<P, K, V>;
  using Snapshot = PersistentPriorityQueue<P, K, V>;

  // `capacity` 0: unbounded. The capacity is part of the GroupId.
  template <NetworkHandle Net>
  PriorityQueueHandle(const Net& network, const StoreId& store, const Options& options, std::uint64_t capacity = 0)
      : Base(network, descriptor(store, capacity), options, IsWriter, machine(capacity)) {}

  [[nodiscard]] std::size_t len() const { return this->state().size(); }
  [[nodiscard]] bool is_empty() const { return this->state().empty(); }
  [[nodiscard]] bool contains_key(const K& key) const { return this->state().contains(key); }
  [[nodiscard]] std::optional<V> get(const K& key) const {
    const auto s = this->state();
    const auto* pv = s.find(key);
    return pv ? std::optional<V>(pv->second) : std::nullopt;
  }
  [[nodiscard]] std::optional<P> get_priority(const K& key) const {
    const auto s = this->state();
    const auto* pv = s.find(key);
    return pv ? std::optional<P>(pv->first) : std::nullopt;
  }
  // Among equal priorities, the smallest key (min) and the largest key (max).
  [[nodiscard]] std::optional<Entry> get_min() const { return this->state().min(); }
  [[nodiscard]] std::optional<Entry> get_max() const { return this->state().max(); }
  [[nodiscard]] std::optional<P> min_priority() const {
    auto e = get_min();
    return e ? std::optional<P>(std::get<0>(*e)) : std::nullopt;
  }
  [[nodiscard]] std::optional<P> max_priority() const {
    auto e = get_max();
    return e ? std::optional<P>(std::get<0>(*e)) : std::nullopt;
  }
  [[nodiscard]] std::vector<Entry> iter() const { return iter_asc(); }
  [[nodiscard]] std::vector<Entry> iter_asc() const {
    std::vector<Entry> out;
    this->state().for_each_ascending([&](const P& p, const K& k, const V& v) { out.emplace_back(p, k, v); });
    return out;
  }
  [[nodiscard]] std::vector<Entry> iter_desc() const {
    std::vector<Entry> out;
    this->state().for_each_descending([&](const P& p, const K& k, const V& v) { out.emplace_back(p, k, v); });
    return out;
  }
  // An O(1) snapshot (for iterating without copying entries).
  [[nodiscard]] Snapshot snapshot() const { return this->state(); }

  // Inserts, or replaces the priority and value of an existing key.
  asio::awaitable<std::expected<Version, Error<Entry>>> insert(P priority, K key, V value) const
    requires IsWriter
  {
    Command c;
    c.op = Command::kInsert;
    c.entries.emplace_back(std::move(priority), std::move(key), std::move(value));
    return this->template mutate<Entry>(std::move(c), [](Command back) { return std::move(back.entries.front()); });
  }
  asio::awaitable<std::expected<Version, Error<std::vector<Entry>>>> extend(std::vector<Entry> entries) const
    requires IsWriter
  {
    Command c;
    c.op = Command::kInsert;
    c.entries = std::move(entries);
    return this->template mutate<std::vector<Entry>>(std::move(c), [](Command back) { return std::move(back.entries); });
  }
  // No-op (it commits) when the key is absent.
  asio::awaitable<std::expected<Version, Error<K>>> update_priority(K key, P priority) const
    requires IsWriter
  {
    Command c;
    c.op = Command::kUpdatePriority;
    c.key = std::move(key);
    c.priority = std::move(priority);
    return this->template mutate<K>(std::move(c), [](Command back) { return std::move(*back.key); });
  }
  asio::awaitable<std::expected<Version, Error<K>>> update_value(K key, V value) const
    requires IsWriter
  {
    Command c;
    c.op = Command::kUpdateValue;
    c.key = std::move(key);
    c.value = std::move(value);
    return this->template mutate<K>(std::move(c), [](Command back) { return std::move(*back.key); });
  }
  // Replaces the value of `key` with `desired` (nullopt removes the entry) only if it is
  // `expected`; the priority is kept. A mismatch or an absent key commits but changes nothing.
  asio::awaitable<std::expected<Version, Error<K>>> compare_exchange_value(K key, V expected,
                                                                          std::optional<V> desired) const
    requires IsWriter
  {
    Command c;
    c.op = Command::kCompareExchangeValue;
    c.key = std::move(key);
    c.value = std::move(expected);
    c.desired = std::move(desired);
    return this->template mutate<K>(std::move(c), [](Command back) { return std::move(*back.key); });
  }
  asio::awaitable<std::expected<Version, Error<K>>> remove(K key) const
    requires IsWriter
  {
    Command c;
    c.op = Command::kRemove;
    c.key = std::move(key);
    return this->template mutate<K>(std::move(c), [](Command back) { return std::move(*back.key); });
  }
  asio::awaitable<std::expected<Version, Error<std::monostate>>> remove_range(PriorityRange<P> range) const
    requires IsWriter
  {
    Command c;
    c.op = Command::kRemoveRange;
    c.lo_kind = static_cast<std::uint8_t>(range.lo.kind);
    c.hi_kind = static_cast<std::uint8_t>(range.hi.kind);
    if (range.lo.kind != PriorityRange<P>::Bound::Kind::kUnbounded) c.lo = std::move(range.lo.value);
    if (range.hi.kind != PriorityRange<P>::Bound::Kind::kUnbounded) c.hi = std::move(range.hi.value);
    return this->template mutate<std::monostate>(std::move(c), [](Command) { return std::monostate{}; });
  }
  asio::awaitable<std::expected<Version, Error<std::monostate>>> clear() const
    requires IsWriter
  {
    Command c;
    c.op = Command::kClear;
    return this->template mutate<std::monostate>(std::move(c), [](Command) { return std::monostate{}; });
  }

 private:
  static StoreDescriptor descriptor(const StoreId& store, std::uint64_t capacity) {
    StoreDescriptor d{"depq", store, {type_name<P>(), type_name<K>(), type_name<V>()}};
    if (capacity > 0) d.type_names.push_back("capacity:" + std::to_string(capacity));
    return d;
  }
  static Machine machine(std::uint64_t capacity) {
    Machine m;
    m.capacity = capacity;
    return m;
  }
};

template <class P, class K, class V>
using PriorityQueueWriter = PriorityQueueHandle<P, K, V, true>;
template <class P, class K, class V>
using PriorityQueueReader = PriorityQueueHandle<P, K, V, false>;

template <class P, class K, class V>
  requires std::totally_ordered<P> && std::totally_ordered<K> && std::equality_comparable<V> && NamedType<P> &&
           NamedType<K> && NamedType<V>
struct PriorityQueue : detail::Constructors<PriorityQueueWriter<P, K, V>, PriorityQueueReader<P, K, V>> {
  // The bounded variant: at most `capacity` entries; the lowest priorities are evicted.
  template <NetworkHandle Net>
  static PriorityQueueWriter<P, K, V> bounded_writer(const Net& n, const StoreId& s, std::uint64_t capacity,
                                                     const Options& o = {}) {
    return PriorityQueueWriter<P, K, V>(n, s, o, capacity);
  }
  template <NetworkHandle Net>
  static PriorityQueueReader<P, K, V> bounded_reader(const Net& n, const StoreId& s, std::uint64_t capacity,
                                                     const Options& o = {}) {
    return PriorityQueueReader<P, K, V>(n, s, o, capacity);
  }
};

}  // namespace mosaik::collections
