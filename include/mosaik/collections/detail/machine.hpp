#pragma once
// What every collection's state machine shares: its identity, its sync strategy, how eagerly
// it leads, and the state it publishes for the handles to read from any thread.

#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include <mosaik/collections/options.hpp>
#include <mosaik/groups/leadership_preference.hpp>
#include <mosaik/groups/state_machine.hpp>
#include <mosaik/groups/state_sync.hpp>
#include <mosaik/primitives/wire.hpp>

namespace mosaik::collections::detail {

// The state a machine applied last. Copying a persistent structure is O(1), so a reader takes
// a copy under the lock and then reads it without one; the machine's next update never
// touches the nodes that copy holds.
template <class State>
class Published {
 public:
  [[nodiscard]] State get() const {
    std::lock_guard lock(mutex_);
    return state_;
  }
  void set(const State& state) {
    std::lock_guard lock(mutex_);
    state_ = state;
  }

 private:
  mutable std::mutex mutex_;
  State state_;
};

template <class StateT>
struct MachineBase {
  using State = StateT;
  using Query = groups::Unit;        // reads are local: the handles read the published state
  using QueryResult = groups::Unit;

  UniqueId machine_signature;
  SyncConfig sync;
  groups::LeadershipPreference preference = groups::LeadershipPreference::normal();
  std::shared_ptr<Published<State>> published = std::make_shared<Published<State>>();
  State state;

  [[nodiscard]] UniqueId signature() const { return machine_signature; }
  [[nodiscard]] groups::LeadershipPreference leadership_preference() const { return preference; }
  [[nodiscard]] groups::SnapshotSync state_sync() const { return groups::SnapshotSync{sync}; }
  [[nodiscard]] QueryResult query(const Query&) const { return {}; }
  void publish() { published->set(state); }

 protected:
  // The snapshot hook's capture (0801): a copy of the state, O(1) for the persistent
  // structures, which `encode` turns into items when a member fetches the snapshot.
  template <class Encode>
  [[nodiscard]] groups::SnapshotCapture capture(Encode encode) const {
    return groups::SnapshotCapture([captured = state, encode] { return encode(captured); });
  }
};

// Decodes one snapshot item's key and value, or nullopt (a malformed item is skipped alike
// on every member that installs it).
template <class A, class B>
std::optional<std::pair<A, B>> decode_item(const groups::SnapshotItem& item) {
  auto a = wire::decode<A>(item.key);
  auto b = wire::decode<B>(item.value);
  if (!a || !b) return std::nullopt;
  return std::pair<A, B>(std::move(*a), std::move(*b));
}

}  // namespace mosaik::collections::detail
