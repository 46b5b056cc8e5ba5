#pragma once
// PersistentPriorityQueue: an immutable double-ended priority queue of (priority, key, value)
// entries with unique keys and structural sharing (the seed's DEPQ state: im::HashMap by key
// beside im::OrdMap by priority). Copying is O(1); insert, erase, min and max are O(log n).
//
//   PersistentPriorityQueue<std::uint64_t, std::string, Order> q;
//   q.insert(100, "order-1", o);  q.min();   // (100, "order-1", o)
//
// Two persistent maps kept in step: by key -> (priority, value), and by (priority, key) ->
// value. Entries of equal priority are ordered by key, so every order is a total one and the
// same on every node (the seed leaves ties "arbitrary").

#include <cstddef>
#include <functional>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include <mosaik/primitives/persistent_map.hpp>

namespace mosaik {

template <class P, class K, class V, class PCompare = std::less<P>, class KCompare = std::less<K>>
class PersistentPriorityQueue {
  struct ByPriority {
    [[no_unique_address]] PCompare p_less;
    [[no_unique_address]] KCompare k_less;
    bool operator()(const std::pair<P, K>& a, const std::pair<P, K>& b) const {
      if (p_less(a.first, b.first)) return true;
      if (p_less(b.first, a.first)) return false;
      return k_less(a.second, b.second);
    }
  };

 public:
  using Entry = std::tuple<P, K, V>;

  // How one end of a priority range is bounded.
  struct Bound {
    enum class Kind : std::uint8_t { kUnbounded, kIncluded, kExcluded };
    Kind kind = Kind::kUnbounded;
    P value{};
    static Bound unbounded() { return {}; }
    static Bound included(P p) { return {Kind::kIncluded, std::move(p)}; }
    static Bound excluded(P p) { return {Kind::kExcluded, std::move(p)}; }
  };

  [[nodiscard]] std::size_t size() const { return by_key_.size(); }
  [[nodiscard]] bool empty() const { return by_key_.empty(); }
  [[nodiscard]] bool contains(const K& key) const { return by_key_.contains(key); }
  // (priority, value) of `key`, or nullptr.
  [[nodiscard]] const std::pair<P, V>* find(const K& key) const { return by_key_.find(key); }

  // The entry at position `index` in ascending (priority, key) order (index < size()).
  [[nodiscard]] Entry nth(std::size_t index) const {
    const auto& [pk, v] = by_priority_.nth(index);
    return Entry{pk.first, pk.second, v};
  }
  [[nodiscard]] std::optional<Entry> min() const {
    if (empty()) return std::nullopt;
    return nth(0);
  }
  [[nodiscard]] std::optional<Entry> max() const {
    if (empty()) return std::nullopt;
    return nth(size() - 1);
  }

  // Inserts, or replaces the priority and value of an existing key.
  void insert(P priority, K key, V value) {
    if (const auto* old = by_key_.find(key)) by_priority_.remove({old->first, key});
    by_priority_.set({priority, key}, value);
    by_key_.set(std::move(key), {std::move(priority), std::move(value)});
  }
  // False when the key is absent.
  bool erase(const K& key) {
    const auto* old = by_key_.find(key);
    if (old == nullptr) return false;
    by_priority_.remove({old->first, key});
    by_key_.remove(key);
    return true;
  }
  bool update_priority(const K& key, P priority) {
    const auto* old = by_key_.find(key);
    if (old == nullptr) return false;
    V value = old->second;
    insert(std::move(priority), key, std::move(value));
    return true;
  }
  bool update_value(const K& key, V value) {
    const auto* old = by_key_.find(key);
    if (old == nullptr) return false;
    P priority = old->first;
    insert(std::move(priority), key, std::move(value));
    return true;
  }
  // Removes every entry whose priority lies within [lo, hi] as the bounds say: the count.
  std::size_t erase_range(const Bound& lo, const Bound& hi) {
    const auto [first, last] = range_positions(lo, hi);
    std::vector<K> doomed;
    doomed.reserve(last - first);
    for (std::size_t i = first; i < last; ++i) doomed.push_back(by_priority_.nth(i).first.second);
    for (const auto& k : doomed) erase(k);
    return doomed.size();
  }
  // Removes the lowest entry (false when empty).
  bool pop_min() {
    if (empty()) return false;
    const K lowest = by_priority_.nth(0).first.second;  // a copy: erase() frees the node it lives in
    return erase(lowest);
  }
  void clear() {
    by_key_ = {};
    by_priority_ = {};
  }

  // Ascending (priority, key) order; pass a callback to avoid building a vector.
  template <class F>
  void for_each_ascending(F&& f) const {
    for (const auto& [pk, v] : by_priority_) f(pk.first, pk.second, v);
  }
  // Descending: O(log n) per entry (the tree is walked by position).
  template <class F>
  void for_each_descending(F&& f) const {
    for (std::size_t i = size(); i > 0; --i) {
      const auto& [pk, v] = by_priority_.nth(i - 1);
      f(pk.first, pk.second, v);
    }
  }
  // By key order, as the snapshot of the seed sends (by_key only; by priority is rebuilt).
  template <class F>
  void for_each_by_key(F&& f) const {
    for (const auto& [k, pv] : by_key_) f(pv.first, k, pv.second);
  }

  friend bool operator==(const PersistentPriorityQueue& a, const PersistentPriorityQueue& b) {
    return a.by_key_ == b.by_key_;
  }

 private:
  std::pair<std::size_t, std::size_t> range_positions(const Bound& lo, const Bound& hi) const {
    const PCompare less;
    std::size_t first = 0;
    std::size_t last = size();
    if (lo.kind == Bound::Kind::kIncluded)
      first = by_priority_.partition_point([&](const std::pair<P, K>& pk) { return less(pk.first, lo.value); });
    if (lo.kind == Bound::Kind::kExcluded)
      first = by_priority_.partition_point([&](const std::pair<P, K>& pk) { return !less(lo.value, pk.first); });
    if (hi.kind == Bound::Kind::kIncluded)
      last = by_priority_.partition_point([&](const std::pair<P, K>& pk) { return !less(hi.value, pk.first); });
    if (hi.kind == Bound::Kind::kExcluded)
      last = by_priority_.partition_point([&](const std::pair<P, K>& pk) { return less(pk.first, hi.value); });
    if (last < first) last = first;
    return {first, last};
  }

  PersistentMap<K, std::pair<P, V>, KCompare> by_key_;
  PersistentMap<std::pair<P, K>, V, ByPriority> by_priority_;
};

}  // namespace mosaik
