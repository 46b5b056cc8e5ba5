#pragma once
// PriorityQueue's replicated state machine: a PersistentPriorityQueue (by key, and by
// (priority, key)); with a capacity, every mutation that grows it past the capacity evicts
// the lowest priorities. Snapshot items are (encoded key, encoded (priority, value)) in key
// order; the by-priority index is rebuilt on install (the seed's by_key-only transfer).

#include <cstdint>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include <mosaik/collections/detail/machine.hpp>
#include <mosaik/primitives/persistent_priority_queue.hpp>
#include <mosaik/primitives/wire.hpp>

namespace mosaik::collections::detail {

template <class P, class K, class V>
struct DepqCommand {
  enum Op : std::uint8_t {
    kInsert = 0, kUpdatePriority = 1, kUpdateValue = 2, kCompareExchangeValue = 3,
    kRemove = 4, kRemoveRange = 5, kClear = 6,
  };
  std::uint8_t op = kInsert;
  std::vector<std::tuple<P, K, V>> entries;  // kInsert: one (insert) or many (extend)
  std::optional<K> key;
  std::optional<P> priority;  // kUpdatePriority
  std::optional<V> value;     // kUpdateValue: the new value; kCompareExchangeValue: the expected one
  std::optional<V> desired;   // kCompareExchangeValue: the new value (nullopt removes the entry)
  std::uint8_t lo_kind = 0;   // kRemoveRange: the Bound kinds and values
  std::uint8_t hi_kind = 0;
  std::optional<P> lo;
  std::optional<P> hi;
  MOSAIK_WIRE_FIELDS(op, entries, key, priority, value, desired, lo_kind, hi_kind, lo, hi);
};

template <class P, class K, class V>
struct DepqMachine : MachineBase<PersistentPriorityQueue<P, K, V>> {
  using Command = DepqCommand<P, K, V>;
  using Queue = PersistentPriorityQueue<P, K, V>;
  std::uint64_t capacity = 0;  // 0: unbounded; part of the GroupId (the descriptor)

  void apply(Command c, const groups::ApplyContext&) {
    apply_one(std::move(c));
    this->publish();
  }
  void apply_batch(std::vector<Command> commands, const groups::ApplyContext&) {
    for (auto& c : commands) apply_one(std::move(c));
    this->publish();
  }
  [[nodiscard]] static std::vector<groups::SnapshotItem> items_of(const Queue& state) {
    std::vector<groups::SnapshotItem> items;
    items.reserve(state.size());
    state.for_each_by_key([&](const P& p, const K& k, const V& v) {
      items.push_back({wire::encode(k), wire::encode(std::pair<P, V>(p, v))});
    });
    return items;
  }
  [[nodiscard]] std::vector<groups::SnapshotItem> snapshot() const { return items_of(this->state); }
  [[nodiscard]] groups::SnapshotCapture capture_snapshot() const { return this->capture(&items_of); }
  void install_snapshot(std::vector<groups::SnapshotItem> items) {
    Queue fresh;
    for (const auto& item : items)
      if (auto kv = decode_item<K, std::pair<P, V>>(item))
        fresh.insert(std::move(kv->second.first), std::move(kv->first), std::move(kv->second.second));
    this->state = std::move(fresh);
    this->publish();
  }

 private:
  static std::optional<typename Queue::Bound> bound(std::uint8_t kind, const std::optional<P>& value) {
    using Kind = typename Queue::Bound::Kind;
    switch (kind) {
      case static_cast<std::uint8_t>(Kind::kUnbounded): return Queue::Bound::unbounded();
      case static_cast<std::uint8_t>(Kind::kIncluded):
        if (value) return Queue::Bound::included(*value);
        break;
      case static_cast<std::uint8_t>(Kind::kExcluded):
        if (value) return Queue::Bound::excluded(*value);
        break;
      default: break;
    }
    return std::nullopt;
  }

  void apply_one(Command c) {
    auto& q = this->state;
    switch (c.op) {
      case Command::kInsert:
        for (auto& [p, k, v] : c.entries) q.insert(std::move(p), std::move(k), std::move(v));
        break;
      case Command::kUpdatePriority:
        if (c.key && c.priority) q.update_priority(*c.key, std::move(*c.priority));
        break;
      case Command::kUpdateValue:
        if (c.key && c.value) q.update_value(*c.key, std::move(*c.value));
        break;
      case Command::kCompareExchangeValue: {
        if (!c.key || !c.value) break;
        const auto* current = q.find(*c.key);
        if (current == nullptr || !(current->second == *c.value)) break;  // a mismatch changes nothing
        if (c.desired) {
          q.update_value(*c.key, std::move(*c.desired));
        } else {
          q.erase(*c.key);
        }
        break;
      }
      case Command::kRemove:
        if (c.key) q.erase(*c.key);
        break;
      case Command::kRemoveRange: {
        auto lo = bound(c.lo_kind, c.lo);
        auto hi = bound(c.hi_kind, c.hi);
        if (lo && hi) q.erase_range(*lo, *hi);
        break;
      }
      case Command::kClear:
        q.clear();
        break;
      default:
        break;
    }
    while (capacity > 0 && q.size() > capacity) q.pop_min();  // the bounded variant evicts the lowest
  }
};

}  // namespace mosaik::collections::detail
