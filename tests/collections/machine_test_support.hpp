#pragma once
// What the machine tests share: an apply context with nothing in it (the collection machines
// read none of it) and a map compare-exchange command.

#include <optional>
#include <utility>

#include "mosaik/collections/detail/map_machine.hpp"
#include "mosaik/groups/state_machine.hpp"

namespace mosaik::collections::detail::test {

class EmptyApplyContext final : public groups::ApplyContext {
 public:
  [[nodiscard]] groups::Cursor committed() const override { return {}; }
  [[nodiscard]] groups::Cursor log_position() const override { return {}; }
  [[nodiscard]] groups::Term current_term() const override { return {}; }
};

// expected nullopt: the key must be absent; desired nullopt: remove the key.
template <class K, class V>
MapCommand<K, V> map_compare_exchange(K key, std::optional<V> expected, std::optional<V> desired) {
  MapCommand<K, V> c;
  c.op = MapCommand<K, V>::kCompareExchange;
  c.key = std::move(key);
  c.expected = std::move(expected);
  c.desired = std::move(desired);
  return c;
}

}  // namespace mosaik::collections::detail::test
