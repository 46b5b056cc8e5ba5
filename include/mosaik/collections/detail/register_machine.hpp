#pragma once
// Register's and Once's replicated state machines: at most one value (the seed's Option<T>).
// Register: every write replaces it, compare-exchange, clear. Once: the first write wins and
// later writes commit but change nothing. Snapshot: zero or one item.

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include <mosaik/collections/detail/machine.hpp>
#include <mosaik/primitives/wire.hpp>

namespace mosaik::collections::detail {

template <class T>
struct RegisterCommand {
  enum Op : std::uint8_t { kWrite = 0, kCompareExchange = 1, kClear = 2 };
  std::uint8_t op = kWrite;
  std::optional<T> value;     // kWrite: the value; kCompareExchange: the new value (nullopt clears)
  std::optional<T> expected;  // kCompareExchange: nullopt = must be empty
  MOSAIK_WIRE_FIELDS(op, value, expected);
};

// A machine over std::optional<T> whose snapshot is the value, if any, as one item.
template <class T, class Derived>
struct OptionalMachine : MachineBase<std::optional<T>> {
  // Templates: Derived (and its Command) is incomplete where this base is instantiated.
  template <class Command>
  void apply(Command c, const groups::ApplyContext&) {
    static_cast<Derived*>(this)->apply_one(std::move(c));
    this->publish();
  }
  template <class Command>
  void apply_batch(std::vector<Command> commands, const groups::ApplyContext&) {
    for (auto& c : commands) static_cast<Derived*>(this)->apply_one(std::move(c));
    this->publish();
  }
  [[nodiscard]] static std::vector<groups::SnapshotItem> items_of(const std::optional<T>& state) {
    std::vector<groups::SnapshotItem> items;
    if (state) items.push_back({wire::encode(std::uint8_t{0}), wire::encode(*state)});
    return items;
  }
  [[nodiscard]] std::vector<groups::SnapshotItem> snapshot() const { return items_of(this->state); }
  // One value: the capture copies it (a register holds one value, not a structure).
  [[nodiscard]] groups::SnapshotCapture capture_snapshot() const { return this->capture(&items_of); }
  void install_snapshot(std::vector<groups::SnapshotItem> items) {
    this->state.reset();
    if (!items.empty())
      if (auto v = wire::decode<T>(items.front().value)) this->state = std::move(*v);
    this->publish();
  }
};

template <class T>
struct RegisterMachine : OptionalMachine<T, RegisterMachine<T>> {
  using Command = RegisterCommand<T>;
  void apply_one(Command c) {
    auto& s = this->state;
    switch (c.op) {
      case Command::kWrite:
        if (c.value) s = std::move(c.value);
        break;
      case Command::kCompareExchange:
        if (s == c.expected) s = std::move(c.value);  // a mismatch commits but changes nothing
        break;
      case Command::kClear:
        s.reset();
        break;
      default:
        break;
    }
  }
};

template <class T>
struct OnceCommand {
  T value{};
  MOSAIK_WIRE_FIELDS(value);
};

template <class T>
struct OnceMachine : OptionalMachine<T, OnceMachine<T>> {
  using Command = OnceCommand<T>;
  void apply_one(Command c) {
    if (!this->state) this->state = std::move(c.value);  // the first write wins
  }
};

}  // namespace mosaik::collections::detail
