#pragma once
// Vec's replicated state machine: a PersistentVector. A position out of bounds makes the
// mutation a no-op (it commits; every member skips it alike). Snapshot items are (encoded
// position, encoded element) in order.

#include <cstdint>
#include <utility>
#include <vector>

#include <mosaik/collections/detail/machine.hpp>
#include <mosaik/primitives/persistent_vector.hpp>
#include <mosaik/primitives/wire.hpp>

namespace mosaik::collections::detail {

template <class T>
struct VecCommand {
  enum Op : std::uint8_t {
    kPushBack = 0, kPushFront = 1, kInsert = 2, kPopBack = 3, kPopFront = 4,
    kRemove = 5, kSwap = 6, kTruncate = 7, kClear = 8,
  };
  std::uint8_t op = kPushBack;
  std::vector<T> values;  // kPushBack: one or many (extend), kPushFront and kInsert: one
  std::uint64_t a = 0;    // kInsert, kRemove, kSwap: a position; kTruncate: the length kept
  std::uint64_t b = 0;    // kSwap: the other position
  MOSAIK_WIRE_FIELDS(op, values, a, b);
};

template <class T>
struct VecMachine : MachineBase<PersistentVector<T>> {
  using Command = VecCommand<T>;

  void apply(Command c, const groups::ApplyContext&) {
    apply_one(std::move(c));
    this->publish();
  }
  void apply_batch(std::vector<Command> commands, const groups::ApplyContext&) {
    for (auto& c : commands) apply_one(std::move(c));
    this->publish();
  }
  [[nodiscard]] static std::vector<groups::SnapshotItem> items_of(const PersistentVector<T>& state) {
    std::vector<groups::SnapshotItem> items;
    items.reserve(state.size());
    std::uint64_t position = 0;
    for (const auto& v : state) items.push_back({wire::encode(position++), wire::encode(v)});
    return items;
  }
  [[nodiscard]] std::vector<groups::SnapshotItem> snapshot() const { return items_of(this->state); }
  [[nodiscard]] groups::SnapshotCapture capture_snapshot() const { return this->capture(&items_of); }
  void install_snapshot(std::vector<groups::SnapshotItem> items) {
    PersistentVector<T> fresh;
    for (const auto& item : items)
      if (auto v = wire::decode<T>(item.value)) fresh.push_back(std::move(*v));
    this->state = std::move(fresh);
    this->publish();
  }

 private:
  void apply_one(Command c) {
    auto& s = this->state;
    const std::uint64_t n = s.size();
    switch (c.op) {
      case Command::kPushBack:
        for (auto& v : c.values) s.push_back(std::move(v));
        break;
      case Command::kPushFront:
        if (!c.values.empty()) s.push_front(std::move(c.values.front()));
        break;
      case Command::kInsert:
        if (!c.values.empty() && c.a <= n) s.insert(c.a, std::move(c.values.front()));
        break;
      case Command::kPopBack:
        s.pop_back();
        break;
      case Command::kPopFront:
        s.pop_front();
        break;
      case Command::kRemove:
        if (c.a < n) s.erase(c.a);
        break;
      case Command::kSwap:
        if (c.a < n && c.b < n && c.a != c.b) {
          T first = s[c.a];
          T second = s[c.b];
          s.set(c.a, std::move(second));
          s.set(c.b, std::move(first));
        }
        break;
      case Command::kTruncate:
        s.truncate(c.a);
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
