#pragma once
// Map<K, V>: a replicated key-value map (the seed's Map), one Raft group per map. Writers
// and readers are separate types: MapWriter has the mutating methods, MapReader has none.
// Reads are local, never block and see this member's committed state; a writer's mutation
// returns once committed and applied here (read-your-writes).
//
//   auto prices = Map<std::string, double>::writer(network, StoreId("prices"));
//   co_await prices.when().online();
//   auto v = co_await prices.insert("ETH", 3812.50);   // expected<Version, Error<std::pair<K, V>>>
//   auto reader = Map<std::string, double>::reader(other, StoreId("prices"));
//   co_await reader.when().reaches(*v);  reader.get("ETH");   // 3812.5
//
// Iteration is in key order (operator<), the same on every member (docs/decisions/0800).

#include <concepts>
#include <cstddef>
#include <optional>
#include <utility>
#include <tuple>
#include <variant>
#include <vector>

#include <mosaik/collections/detail/collection.hpp>
#include <mosaik/collections/detail/constructors.hpp>
#include <mosaik/collections/detail/map_machine.hpp>
#include <mosaik/collections/type_name.hpp>

namespace mosaik::collections {

template <class K, class V, bool IsWriter>
class MapHandle : public detail::Collection<detail::MapMachine<K, V>> {
  using Base = detail::Collection<detail::MapMachine<K, V>>;
  using Command = detail::MapCommand<K, V>;

 public:
  using Snapshot = PersistentMap<K, V>;

  template <NetworkHandle Net>
  MapHandle(const Net& network, const StoreId& store, const Options& options)
      : Base(network, descriptor(store), options, IsWriter) {}

  [[nodiscard]] std::size_t len() const { return this->state().size(); }
  [[nodiscard]] bool is_empty() const { return this->state().empty(); }
  [[nodiscard]] bool contains_key(const K& key) const { return this->state().contains(key); }
  [[nodiscard]] std::optional<V> get(const K& key) const {
    const auto s = this->state();
    const V* v = s.find(key);
    return v ? std::optional<V>(*v) : std::nullopt;
  }
  // An O(1) snapshot to iterate: (key, value) pairs in key order.
  [[nodiscard]] Snapshot iter() const { return this->state(); }
  [[nodiscard]] std::vector<K> keys() const {
    std::vector<K> out;
    for (const auto& [k, v] : this->state()) out.push_back(k);
    return out;
  }
  [[nodiscard]] std::vector<V> values() const {
    std::vector<V> out;
    for (const auto& [k, v] : this->state()) out.push_back(v);
    return out;
  }

  // Inserts or replaces.
  asio::awaitable<std::expected<Version, Error<std::pair<K, V>>>> insert(K key, V value) const
    requires IsWriter
  {
    Command c;
    c.op = Command::kInsert;
    c.entries.emplace_back(std::move(key), std::move(value));
    return this->template mutate<std::pair<K, V>>(std::move(c), [](Command back) { return std::move(back.entries.front()); });
  }
  // Sets `key` to `desired` only if its value is `expected` (nullopt: absent); desired
  // nullopt removes it. A mismatch commits too (the version advances) but changes nothing.
  using Exchange = std::tuple<K, std::optional<V>, std::optional<V>>;
  asio::awaitable<std::expected<Version, Error<Exchange>>> compare_exchange(K key, std::optional<V> expected,
                                                                            std::optional<V> desired) const
    requires IsWriter
  {
    Command c;
    c.op = Command::kCompareExchange;
    c.key = std::move(key);
    c.expected = std::move(expected);
    c.desired = std::move(desired);
    return this->template mutate<Exchange>(std::move(c), [](Command back) {
      return Exchange{std::move(*back.key), std::move(back.expected), std::move(back.desired)};
    });
  }
  asio::awaitable<std::expected<Version, Error<K>>> remove(K key) const
    requires IsWriter
  {
    Command c;
    c.op = Command::kRemove;
    c.key = std::move(key);
    return this->template mutate<K>(std::move(c), [](Command back) { return std::move(*back.key); });
  }
  // Inserts every pair as one mutation (one version).
  asio::awaitable<std::expected<Version, Error<std::vector<std::pair<K, V>>>>> extend(
      std::vector<std::pair<K, V>> entries) const
    requires IsWriter
  {
    Command c;
    c.op = Command::kInsert;
    c.entries = std::move(entries);
    return this->template mutate<std::vector<std::pair<K, V>>>(std::move(c),
                                                               [](Command back) { return std::move(back.entries); });
  }
  asio::awaitable<std::expected<Version, Error<std::monostate>>> clear() const
    requires IsWriter
  {
    Command c;
    c.op = Command::kClear;
    return this->template mutate<std::monostate>(std::move(c), [](Command) { return std::monostate{}; });
  }

 private:
  static StoreDescriptor descriptor(const StoreId& store) { return {"map", store, {type_name<K>(), type_name<V>()}}; }
};

template <class K, class V>
using MapWriter = MapHandle<K, V, true>;
template <class K, class V>
using MapReader = MapHandle<K, V, false>;

// The seed's constructors: Map<K, V>::writer(network, store_id) and the others.
template <class K, class V>
  requires std::totally_ordered<K> && std::equality_comparable<V> && NamedType<K> && NamedType<V>
struct Map : detail::Constructors<MapWriter<K, V>, MapReader<K, V>> {};

}  // namespace mosaik::collections
