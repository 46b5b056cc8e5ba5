#pragma once
// The machine a collection's group runs: each log entry is a batch of the collection
// machine's mutations, applied in order (decision 0802). A handle's coalesced mutations so
// cost one entry (one encoding, one copy per follower, one decode) instead of one each, and
// share that entry's index as their Version.

#include <utility>
#include <vector>

#include <mosaik/groups/state_machine.hpp>

namespace mosaik::collections::detail {

template <class Machine>
struct Batched : Machine {
  using Mutation = typename Machine::Command;
  using Command = std::vector<Mutation>;  // one log entry: mutations in the order they apply

  Batched() = default;
  explicit Batched(Machine machine) : Machine(std::move(machine)) {}

  void apply(Command mutations, const groups::ApplyContext& ctx) { Machine::apply_batch(std::move(mutations), ctx); }
  // A committed run of entries: their mutations in log order, then one publish.
  void apply_batch(std::vector<Command> entries, const groups::ApplyContext& ctx) {
    if (entries.size() == 1) return apply(std::move(entries.front()), ctx);
    std::size_t total = 0;
    for (const auto& e : entries) total += e.size();
    Command all;
    all.reserve(total);
    for (auto& e : entries)
      for (auto& m : e) all.push_back(std::move(m));
    Machine::apply_batch(std::move(all), ctx);
  }
};

}  // namespace mosaik::collections::detail
