#pragma once
// Set's replicated state machine: a PersistentSet ordered by operator<; snapshot items are
// the encoded elements in that order.

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include <mosaik/collections/detail/machine.hpp>
#include <mosaik/primitives/persistent_set.hpp>
#include <mosaik/primitives/wire.hpp>

namespace mosaik::collections::detail {

template <class T>
struct SetCommand {
  enum Op : std::uint8_t { kInsert = 0, kRemove = 1, kClear = 2 };
  std::uint8_t op = kInsert;
  std::vector<T> values;  // kInsert: one (insert) or many (extend); kRemove: one
  MOSAIK_WIRE_FIELDS(op, values);
};

template <class T>
struct SetMachine : MachineBase<PersistentSet<T>> {
  using Command = SetCommand<T>;

  void apply(Command c, const groups::ApplyContext&) {
    apply_one(std::move(c));
    this->publish();
  }
  void apply_batch(std::vector<Command> commands, const groups::ApplyContext&) {
    for (auto& c : commands) apply_one(std::move(c));
    this->publish();
  }
  [[nodiscard]] static std::vector<groups::SnapshotItem> items_of(const PersistentSet<T>& state) {
    std::vector<groups::SnapshotItem> items;
    items.reserve(state.size());
    for (const auto& v : state) items.push_back({wire::encode(v), {}});
    return items;
  }
  [[nodiscard]] std::vector<groups::SnapshotItem> snapshot() const { return items_of(this->state); }
  [[nodiscard]] groups::SnapshotCapture capture_snapshot() const { return this->capture(&items_of); }
  void install_snapshot(std::vector<groups::SnapshotItem> items) {
    PersistentSet<T> fresh;
    for (const auto& item : items)
      if (auto v = wire::decode<T>(item.key)) fresh.insert(std::move(*v));
    this->state = std::move(fresh);
    this->publish();
  }

 private:
  void apply_one(Command c) {
    auto& s = this->state;
    switch (c.op) {
      case Command::kInsert:
        for (auto& v : c.values) s.insert(std::move(v));
        break;
      case Command::kRemove:
        for (const auto& v : c.values) s.erase(v);
        break;
      case Command::kClear:
        s.clear();
        break;
      default:
        break;
    }
  }
};

}  // namespace mosaik::collections::detail
