#pragma once
// Map's replicated state machine: a PersistentMap ordered by key, its commands, and its
// snapshot as (encoded key, encoded value) items in key order, captured in O(1) (0801).

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include <mosaik/collections/detail/machine.hpp>
#include <mosaik/primitives/persistent_map.hpp>
#include <mosaik/primitives/wire.hpp>

namespace mosaik::collections::detail {

template <class K, class V>
struct MapCommand {
  enum Op : std::uint8_t { kInsert = 0, kRemove = 1, kCompareExchange = 2, kClear = 3 };
  std::uint8_t op = kInsert;
  std::vector<std::pair<K, V>> entries;  // kInsert: one (insert) or many (extend), in order
  std::optional<K> key;                  // kRemove, kCompareExchange
  std::optional<V> expected;             // kCompareExchange: nullopt = the key must be absent
  std::optional<V> desired;              // kCompareExchange: nullopt = remove the key
  MOSAIK_WIRE_FIELDS(op, entries, key, expected, desired);
};

template <class K, class V>
struct MapMachine : MachineBase<PersistentMap<K, V>> {
  using Command = MapCommand<K, V>;

  void apply(Command c, const groups::ApplyContext&) {
    apply_one(std::move(c));
    this->publish();
  }
  void apply_batch(std::vector<Command> commands, const groups::ApplyContext&) {
    for (auto& c : commands) apply_one(std::move(c));
    this->publish();
  }

  [[nodiscard]] static std::vector<groups::SnapshotItem> items_of(const PersistentMap<K, V>& state) {
    std::vector<groups::SnapshotItem> items;
    items.reserve(state.size());
    for (const auto& [k, v] : state) items.push_back({wire::encode(k), wire::encode(v)});
    return items;
  }
  [[nodiscard]] std::vector<groups::SnapshotItem> snapshot() const { return items_of(this->state); }
  [[nodiscard]] groups::SnapshotCapture capture_snapshot() const { return this->capture(&items_of); }
  void install_snapshot(std::vector<groups::SnapshotItem> items) {
    PersistentMap<K, V> fresh;
    for (const auto& item : items)
      if (auto kv = decode_item<K, V>(item)) fresh.set(std::move(kv->first), std::move(kv->second));
    this->state = std::move(fresh);
    this->publish();
  }

 private:
  // Unknown ops and malformed commands change nothing, alike on every member.
  void apply_one(Command c) {
    auto& s = this->state;
    switch (c.op) {
      case Command::kInsert:
        for (auto& [k, v] : c.entries) s.set(std::move(k), std::move(v));
        break;
      case Command::kRemove:
        if (c.key) s.remove(*c.key);
        break;
      case Command::kCompareExchange: {
        if (!c.key) break;
        const V* current = s.find(*c.key);
        const bool matches = current == nullptr ? !c.expected.has_value() : (c.expected && *c.expected == *current);
        if (!matches) break;
        if (c.desired) {
          s.set(std::move(*c.key), std::move(*c.desired));
        } else {
          s.remove(*c.key);
        }
        break;
      }
      case Command::kClear:
        s = PersistentMap<K, V>();
        break;
      default:
        break;
    }
  }
};

}  // namespace mosaik::collections::detail
