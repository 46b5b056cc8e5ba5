#pragma once
// KvStore: the key-value state machine of the groups network tests (and of the member
// process, tests/groups/group_member_main.cpp, which must replicate the same machine).
// Besides the registers it keeps every value it applied, in order, so a test can check that
// a committed command is still there and that two replicas hold the same state.
//
//   auto idx = co_await group.execute(KvPut{key, value});
//   auto view = co_await group.query(KvQuery{key, true}, Consistency::Strong);   // view->value, view->applied

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "mosaik/groups/state_machine.hpp"
#include "mosaik/groups/state_sync.hpp"
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

// KvStore with snapshots (SnapshotSync every `interval` indices): its log is compacted behind
// them, and a durable member restarts from its snapshot file (decision 0411). The snapshot is
// one item: the registers and the applied sequence. `installs` counts install_snapshot calls
// (not part of the state), so a test can tell a snapshot read back or fetched from a replay.
struct SnapshotKvStore : KvStore {
  std::uint64_t interval = 10;
  std::shared_ptr<std::atomic<std::uint64_t>> installs = std::make_shared<std::atomic<std::uint64_t>>(0);

  [[nodiscard]] UniqueId signature() const { return unique_id("test.groups.snapshot-kv.v1"); }
  [[nodiscard]] groups::SnapshotSync state_sync() const {
    groups::SnapshotSync s;
    s.config.snapshot_interval = interval;
    return s;
  }
  [[nodiscard]] std::vector<groups::SnapshotItem> snapshot() const { return {{wire::encode(values), wire::encode(applied)}}; }
  void install_snapshot(std::vector<groups::SnapshotItem> items) {
    values.clear();
    applied.clear();
    if (items.size() == 1) {
      if (auto v = wire::decode<std::map<std::uint8_t, std::uint64_t>>(items[0].key)) values = std::move(*v);
      if (auto a = wire::decode<std::vector<std::uint64_t>>(items[0].value)) applied = std::move(*a);
    }
    ++*installs;
  }
};
static_assert(groups::SnapshotStateMachine<SnapshotKvStore>);

}  // namespace mosaik::test
