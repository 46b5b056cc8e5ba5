#pragma once
// What a replicated state machine provides, and the context it is applied with.
//
//   struct Counter { using Command = CounterCmd; using Query = CounterQuery; using QueryResult = int64_t;
//     UniqueId signature() const; void apply(Command, const ApplyContext&); QueryResult query(const Query&) const; };
//   static_assert(mosaik::groups::StateMachine<Counter>);
//
// Optional members (apply_batch, leadership_preference, state_sync) are found by the helpers
// below, which fall back to the seed's defaults.

#include <concepts>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include <mosaik/groups/index.hpp>
#include <mosaik/primitives/digest.hpp>
#include <mosaik/groups/leadership_preference.hpp>
#include <mosaik/groups/state_sync.hpp>

namespace mosaik::groups {

// Deterministic metadata handed to apply(): the same on every member for the same entries.
class ApplyContext {
 public:
  virtual ~ApplyContext() = default;
  // Last committed position before this batch.
  [[nodiscard]] virtual Cursor committed() const = 0;
  // Last position of the log (may include uncommitted entries).
  [[nodiscard]] virtual Cursor log_position() const = 0;
  // Term of the commands being applied.
  [[nodiscard]] virtual Term current_term() const = 0;
};

// The default catch-up strategy: a lagging member replays committed log entries (the log
// is never compacted). SnapshotSync (state_sync.hpp) is the other.
struct LogReplaySync {
  [[nodiscard]] UniqueId signature() const { return unique_id("mosaik.groups.sync.log_replay"); }
  friend bool operator==(const LogReplaySync&, const LogReplaySync&) = default;
};

// A type carried on the wire: copyable and msgpack-serializable (MSGPACK_DEFINE or an adaptor).
template <class T>
concept WireMessage = std::copyable<T> && std::default_initializable<T>;

template <class M>
concept StateMachine =
    WireMessage<typename M::Command> && WireMessage<typename M::Query> &&
    WireMessage<typename M::QueryResult> &&
    requires(M& m, const M& cm, typename M::Command cmd, const typename M::Query& q,
             const ApplyContext& ctx) {
      { cm.signature() } -> std::convertible_to<UniqueId>;
      m.apply(std::move(cmd), ctx);
      { cm.query(q) } -> std::convertible_to<typename M::QueryResult>;
    };

// apply_batch if the machine has one, else apply() for each command in order.
template <StateMachine M>
void apply_batch(M& machine, std::vector<typename M::Command> commands, const ApplyContext& ctx) {
  if constexpr (requires { machine.apply_batch(std::move(commands), ctx); }) {
    machine.apply_batch(std::move(commands), ctx);
  } else {
    for (auto& c : commands) machine.apply(std::move(c), ctx);
  }
}

// The machine's leadership_preference(), else Normal.
template <StateMachine M>
[[nodiscard]] LeadershipPreference leadership_preference_of(const M& machine) {
  if constexpr (requires { { machine.leadership_preference() } -> std::convertible_to<LeadershipPreference>; }) {
    return machine.leadership_preference();
  } else {
    return LeadershipPreference::normal();
  }
}

// The machine's state_sync() (LogReplaySync or SnapshotSync), else LogReplaySync.
template <StateMachine M>
[[nodiscard]] auto state_sync_of(const M& machine) {
  if constexpr (requires { machine.state_sync(); }) {
    return machine.state_sync();
  } else {
    return LogReplaySync{};
  }
}

// The unit type: NoOp's command, query and result.
struct Unit {
  friend bool operator==(const Unit&, const Unit&) = default;
  template <class Packer>
  void msgpack_pack(Packer& pk) const { pk.pack_nil(); }
  void msgpack_unpack(const msgpack::object&) {}
};

// The state machine for groups that only elect a leader.
struct NoOp {
  using Command = Unit;
  using Query = Unit;
  using QueryResult = Unit;
  [[nodiscard]] UniqueId signature() const { return unique_id("mosaik.groups.noop"); }
  void apply(Command, const ApplyContext&) {}
  [[nodiscard]] QueryResult query(const Query&) const { return {}; }
};
static_assert(StateMachine<NoOp>);

}  // namespace mosaik::groups
