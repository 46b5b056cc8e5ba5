#pragma once
// Groups: the subsystem handle (network.groups()), where groups are joined. The builder is a
// typestate: a key first; then join() (the NoOp machine) or a state machine, then optionally
// its consensus config, then join(). Joining a group this node already belongs to returns a
// handle to the same membership.
//
//   auto leaders = network.groups().with_key(key).join();                 // Group<NoOp>
//   auto counter = network.groups().with_key(key).with_state_machine(Counter{})
//                      .with_consensus_config(ConsensusConfig::builder().build()).join();

#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <typeindex>
#include <utility>

#include <mosaik/groups/consensus_config.hpp>
#include <mosaik/groups/detail/groups_api.hpp>
#include <mosaik/groups/group.hpp>
#include <mosaik/groups/group_key.hpp>
#include <mosaik/groups/state_machine.hpp>

namespace mosaik::groups {

template <StateMachine M>
class GroupBuilderWithMachine {
 public:
  GroupBuilderWithMachine(std::shared_ptr<detail::GroupsApi> api, GroupKey key, M machine)
      : api_(std::move(api)), key_(std::move(key)), machine_(std::move(machine)) {}

  // Every member must use the same values: they are part of the GroupId.
  GroupBuilderWithMachine&& with_consensus_config(ConsensusConfig config) && {
    consensus_ = std::move(config);
    return std::move(*this);
  }

  Group<M> join() && {
    const auto preference = leadership_preference_of(machine_);
    const auto sync = state_sync_of(machine_);
    using Sync = std::remove_cvref_t<decltype(sync)>;
    constexpr bool snapshots = std::is_same_v<Sync, SnapshotSync>;
    static_assert(snapshots || std::is_same_v<Sync, LogReplaySync>,
                  "state_sync() returns LogReplaySync or SnapshotSync");
    detail::JoinTerms terms{key_, consensus_, machine_.signature(), sync.signature(), std::nullopt, preference};
    if constexpr (snapshots) {
      static_assert(SnapshotStateMachine<M> || CapturingStateMachine<M>,
                    "a SnapshotSync machine has install_snapshot() and snapshot() or capture_snapshot()");
      terms.snapshots = sync.config;
    }
    auto api = api_;
    auto make = [&](std::shared_ptr<detail::GroupCore> core) -> std::shared_ptr<void> {
      // The machine as joined: what a member that leaves its incarnation starts over from
      // (decision 0407). A machine that cannot be copied has no reset: such a member leaves.
      std::optional<M> joined;
      if constexpr (std::copyable<M>) joined.emplace(machine_);
      auto state = std::make_shared<detail::TypedGroup<M>>(api, core, std::move(machine_));
      std::weak_ptr<detail::TypedGroup<M>> weak = state;
      if constexpr (std::copyable<M>) {
        core->set_machine_reset([weak, joined = std::move(*joined)] {
          if (auto s = weak.lock()) s->machine = joined;
        });
      }
      core->set_apply([weak](std::vector<detail::CommittedCommand> commands, Cursor committed, Cursor log) {
        if (auto s = weak.lock()) detail::apply_committed(s->machine, s->core->id(), std::move(commands), committed, log);
      });
      if constexpr (snapshots) {
        core->set_snapshots(detail::SnapshotHooks{
            [weak]() -> SnapshotCapture {
              auto s = weak.lock();
              if (!s) return SnapshotCapture();
              if constexpr (CapturingStateMachine<M>) {
                return s->machine.capture_snapshot();
              } else {
                return SnapshotCapture(s->machine.snapshot());
              }
            },
            [weak](std::vector<SnapshotItem> items) {
              if (auto s = weak.lock()) s->machine.install_snapshot(std::move(items));
            }});
      }
      return state;
    };
    auto [state, created] = api_->join(std::move(terms), std::type_index(typeid(M)), make);
    return Group<M>(std::static_pointer_cast<detail::TypedGroup<M>>(state));
  }

 private:
  std::shared_ptr<detail::GroupsApi> api_;
  GroupKey key_;
  M machine_;
  ConsensusConfig consensus_{};
};

class GroupBuilder {
 public:
  GroupBuilder(std::shared_ptr<detail::GroupsApi> api, GroupKey key) : api_(std::move(api)), key_(std::move(key)) {}

  template <StateMachine M>
  GroupBuilderWithMachine<M> with_state_machine(M machine) && {
    return GroupBuilderWithMachine<M>(std::move(api_), std::move(key_), std::move(machine));
  }
  // A group that only elects a leader.
  Group<NoOp> join() && { return GroupBuilderWithMachine<NoOp>(std::move(api_), std::move(key_), NoOp{}).join(); }

 private:
  std::shared_ptr<detail::GroupsApi> api_;
  GroupKey key_;
};

class Groups {
 public:
  explicit Groups(std::shared_ptr<detail::GroupsApi> api) : api_(std::move(api)) {}

  [[nodiscard]] GroupBuilder with_key(GroupKey key) const { return GroupBuilder(api_, std::move(key)); }
  [[nodiscard]] const Config& config() const { return api_->config(); }

 private:
  std::shared_ptr<detail::GroupsApi> api_;
};

}  // namespace mosaik::groups
