#pragma once
// The part every collection handle shares: joining its group with the machine, reading the
// published state, mutations through the group with the value given back on failure,
// version() and when(). Writers and readers of each kind derive from it.

#include <asio/awaitable.hpp>

#include <chrono>
#include <concepts>
#include <expected>
#include <memory>
#include <typeindex>
#include <utility>

#include <mosaik/collections/detail/machine.hpp>
#include <mosaik/collections/detail/registry.hpp>
#include <mosaik/collections/error.hpp>
#include <mosaik/collections/options.hpp>
#include <mosaik/collections/version.hpp>
#include <mosaik/collections/when.hpp>
#include <mosaik/groups/group.hpp>
#include <mosaik/groups/groups.hpp>
#include <mosaik/primitives/async/timeout.hpp>

namespace mosaik::collections {

// What the constructors take: a Network (collections sit below the network in the build, so
// they name it through what they use of it).
template <class N>
concept NetworkHandle = requires(const N& n) {
  { n.groups() } -> std::convertible_to<const groups::Groups&>;
  { n.local().id() } -> std::convertible_to<PeerId>;
};

namespace detail {

// How long a mutation that committed waits for this member to apply it before returning
// anyway (read-your-writes; the commit is certain, only the local view lags).
inline constexpr std::chrono::seconds kApplyWaitLimit{5};

template <class Machine>
class Collection {
 public:
  using State = typename Machine::State;
  using Command = typename Machine::Command;

  // The version this member's state is at: every mutation up to it is visible to reads.
  [[nodiscard]] Version version() const { return Version(group_.committed()); }
  [[nodiscard]] When when() const { return When(group_.status_watch()); }
  // The group underneath (its status, leader, bonds).
  [[nodiscard]] const groups::Group<Machine>& group() const { return group_; }

 protected:
  template <NetworkHandle Net>
  Collection(const Net& network, const StoreDescriptor& descriptor, const Options& options, bool writer,
             Machine machine = {})
      : Collection(join(network, descriptor, options, writer, std::move(machine))) {}

  // An O(1) copy of the state this member applied last.
  [[nodiscard]] State state() const { return published_->get(); }

  // Executes `command`; on failure `back` turns the command handed back into the caller's value.
  template <class T, class Back>
  [[nodiscard]] asio::awaitable<std::expected<Version, Error<T>>> mutate(Command command, Back back) const {
    return run<T>(group_, std::move(command), std::move(back));
  }

 private:
  using Joined = std::pair<groups::Group<Machine>, std::shared_ptr<Published<State>>>;
  explicit Collection(Joined joined) : group_(std::move(joined.first)), published_(std::move(joined.second)) {}

  template <class Net>
  static Joined join(const Net& network, const StoreDescriptor& descriptor, const Options& options, bool writer,
                     Machine machine) {
    machine.machine_signature = machine_signature(descriptor);
    machine.sync = options.sync;
    machine.preference = writer ? groups::LeadershipPreference::normal() : groups::LeadershipPreference::learner();
    auto candidate = machine.published;
    std::optional<groups::Group<Machine>> group;
    auto key = store_group_key(descriptor, options.sync, options.secret);
    const groups::Groups& groups = network.groups();
    auto state = join_registered(network.local().id(), std::type_index(typeid(Machine)), candidate, [&] {
      group.emplace(groups.with_key(std::move(key))
                        .with_state_machine(std::move(machine))
                        .with_consensus_config(options.consensus)
                        .join());
      return group->id();
    });
    return {std::move(*group), std::static_pointer_cast<Published<State>>(state)};
  }

  template <class T, class Back>
  static asio::awaitable<std::expected<Version, Error<T>>> run(groups::Group<Machine> group, Command command,
                                                               Back back) {
    auto done = co_await group.execute(std::move(command));
    if (!done) {
      auto& e = done.error();
      if (e.is_terminated()) co_return std::unexpected(Error<T>::network_down());
      if (e.is_too_large()) co_return std::unexpected(Error<T>::too_large());
      const bool timeout = e.is_timeout();
      auto commands = std::move(e).take_commands();
      T value = back(std::move(commands.front()));
      co_return std::unexpected(timeout ? Error<T>::timeout(std::move(value)) : Error<T>::offline(std::move(value)));
    }
    const Version v(*done);
    // Read-your-writes: this member publishes its status after applying what committed.
    auto applied = When(group.status_watch()).reaches(v);
    (void)co_await with_timeout(std::move(applied), kApplyWaitLimit);
    co_return v;
  }

  groups::Group<Machine> group_;
  std::shared_ptr<Published<State>> published_;
};

}  // namespace detail
}  // namespace mosaik::collections
