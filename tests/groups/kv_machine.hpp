#pragma once
// KvStore: the key-value state machine of the groups network tests (and of the member
// process, tests/groups/group_member_main.cpp, which must replicate the same machine).
// Besides the registers it keeps every value it applied, in order, so a test can check that
// a committed command is still there and that two replicas hold the same state.
//
//   auto idx = co_await group.execute(KvPut{key, value});
//   auto view = co_await group.query(KvQuery{key, true}, Consistency::Strong);   // view->value, view->applied

#include <cstdint>
#include <map>
#include <vector>

#include "mosaik/groups/state_machine.hpp"
#include "mosaik/primitives/wire.hpp"

namespace mosaik::test {

struct KvPut {
  std::uint8_t key = 0;
  std::uint64_t value = 0;  // unique per test run; 0 means "never written"
  MSGPACK_DEFINE(key, value);
};

struct KvQuery {
  std::uint8_t key = 0;
  bool with_applied = false;  // copy the whole applied sequence too (it only grows)
  MSGPACK_DEFINE(key, with_applied);
};

struct KvView {
  std::uint64_t value = 0;             // the register of the query's key
  std::uint64_t applied_count = 0;     // commands applied so far
  std::vector<std::uint64_t> applied;  // with_applied: every value put, in commit order
  MSGPACK_DEFINE(value, applied_count, applied);
};

struct KvStore {
  using Command = KvPut;
  using Query = KvQuery;
  using QueryResult = KvView;

  std::map<std::uint8_t, std::uint64_t> values;
  std::vector<std::uint64_t> applied;

  [[nodiscard]] UniqueId signature() const { return unique_id("test.groups.kv.v1"); }
  void apply(KvPut put, const groups::ApplyContext&) {
    values[put.key] = put.value;
    applied.push_back(put.value);
  }
  [[nodiscard]] KvView query(const KvQuery& q) const {
    KvView view;
    if (auto it = values.find(q.key); it != values.end()) view.value = it->second;
    view.applied_count = applied.size();
    if (q.with_applied) view.applied = applied;
    return view;
  }
};
static_assert(groups::StateMachine<KvStore>);

}  // namespace mosaik::test
