#pragma once
// The part every collection handle shares: joining its group with the machine, reading the
// published state, mutations through the group with the value given back on failure,
// version() and when(). Writers and readers of each kind derive from it.

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/this_coro.hpp>

#include <chrono>
#include <concepts>
#include <deque>
#include <expected>
#include <algorithm>
#include <iterator>
#include <memory>
#include <mutex>
#include <typeindex>
#include <utility>

#include <mosaik/collections/detail/batched.hpp>
#include <mosaik/collections/detail/machine.hpp>
#include <mosaik/collections/detail/registry.hpp>
#include <mosaik/collections/error.hpp>
#include <mosaik/collections/options.hpp>
#include <mosaik/collections/version.hpp>
#include <mosaik/collections/when.hpp>
#include <mosaik/groups/group.hpp>
#include <mosaik/groups/groups.hpp>
#include <mosaik/primitives/async/one_shot.hpp>
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
  using Command = typename Machine::Command;  // one mutation
  using GroupMachine = Batched<Machine>;      // its log entries carry batches of mutations

  // The version this member's state is at: every mutation up to it is visible to reads.
  [[nodiscard]] Version version() const { return Version(group_.committed()); }
  [[nodiscard]] When when() const { return When(group_.status_watch()); }
  // The group underneath (its status, leader, bonds).
  [[nodiscard]] const groups::Group<GroupMachine>& group() const { return group_; }

 protected:
  template <NetworkHandle Net>
  Collection(const Net& network, const StoreDescriptor& descriptor, const Options& options, bool writer,
             Machine machine = {})
      : Collection(join(network, descriptor, options, writer, std::move(machine))) {}

  // An O(1) copy of the state this member applied last.
  [[nodiscard]] State state() const { return published_->get(); }

  // Executes `command` (with whatever else waits on this handle: one proposal); on failure
  // `back` turns the command handed back into the caller's value.
  template <class T, class Back>
  [[nodiscard]] asio::awaitable<std::expected<Version, Error<T>>> mutate(Command command, Back back) const {
    return run<T>(group_, waiting_, std::move(command), std::move(back));
  }

 private:
  using Joined = std::pair<groups::Group<GroupMachine>, std::shared_ptr<Published<State>>>;
  explicit Collection(Joined joined) : group_(std::move(joined.first)), published_(std::move(joined.second)) {}

  template <class Net>
  static Joined join(const Net& network, const StoreDescriptor& descriptor, const Options& options, bool writer,
                     Machine machine) {
    machine.machine_signature = machine_signature(descriptor);
    machine.sync = options.sync;
    machine.preference = writer ? groups::LeadershipPreference::normal() : groups::LeadershipPreference::learner();
    auto candidate = machine.published;
    std::optional<groups::Group<GroupMachine>> group;
    auto key = store_group_key(descriptor, options.sync, options.secret);
    const groups::Groups& groups = network.groups();
    auto state = join_registered(network.local().id(), std::type_index(typeid(Machine)), candidate, [&] {
      group.emplace(groups.with_key(std::move(key))
                        .with_state_machine(GroupMachine(std::move(machine)))
                        .with_consensus_config(options.consensus)
                        .join());
      return group->id();
    });
    return {std::move(*group), std::static_pointer_cast<Published<State>>(state)};
  }

  // What became of one mutation in a coalesced batch.
  enum class Kind : std::uint8_t { kPending, kCommitted, kOffline, kTimeout, kTooLarge, kDown };
  struct Outcome {
    Kind kind = Kind::kPending;
    groups::Index index;
    Command command;  // handed back when it failed
  };
  // One mutation waiting on a handle; its caller waits on `done`, holding no reference.
  struct Slot {
    explicit Slot(Command c) : command(std::move(c)) {}
    Command command;
    Kind kind = Kind::kPending;
    groups::Index index;
    OneShot<Outcome> done;
  };
  // Mutations waiting on one collection handle. A caller that finds a proposal slot free
  // takes everything waiting (up to kMaxCoalesced) as one log entry (one proposal; its
  // mutations apply in arrival order and share the entry's index as their version, 0802)
  // and, once it settled, the next batch, until nothing waits. Up to kMaxBatchesInFlight
  // proposals of one handle are in flight at once, so a deep pipeline is not held to one
  // quorum round trip per kMaxCoalesced mutations.
  struct Waiting {
    std::mutex mutex;
    std::deque<std::shared_ptr<Slot>> slots;
    std::size_t in_flight = 0;  // batches sent and not settled
  };
  static constexpr std::size_t kMaxCoalesced = 256;
  static constexpr std::size_t kMaxBatchesInFlight = 4;
  using Batch = std::vector<std::shared_ptr<Slot>>;

  // The next batch to send, when one waits and a proposal slot is free (`settled`: the
  // caller's own batch just settled and frees its slot).
  static Batch take_batch(Waiting& waiting, bool settled) {
    std::lock_guard lock(waiting.mutex);
    if (settled) --waiting.in_flight;
    if (waiting.slots.empty() || waiting.in_flight >= kMaxBatchesInFlight) return {};
    ++waiting.in_flight;
    const auto n = static_cast<std::ptrdiff_t>(std::min(waiting.slots.size(), kMaxCoalesced));
    Batch batch(std::make_move_iterator(waiting.slots.begin()), std::make_move_iterator(waiting.slots.begin() + n));
    waiting.slots.erase(waiting.slots.begin(), waiting.slots.begin() + n);
    return batch;
  }

  static asio::awaitable<void> flush(groups::Group<GroupMachine> group, std::shared_ptr<Waiting> waiting, Batch batch) {
    while (!batch.empty()) {
      co_await send(group, batch);
      for (auto& slot : batch) {
        const bool failed = slot->kind != Kind::kCommitted;
        slot->done.send(Outcome{slot->kind, slot->index, failed ? std::move(slot->command) : Command{}});
      }
      batch = take_batch(*waiting, true);
    }
  }

  // Executes `batch` as one log entry. One too large for an entry is split in halves, sent
  // one after the other (so still in arrival order), until a half fits or is one mutation.
  static asio::awaitable<void> send(groups::Group<GroupMachine> group, Batch batch) {
    typename GroupMachine::Command mutations;
    mutations.reserve(batch.size());
    for (const auto& slot : batch) mutations.push_back(slot->command);  // kept: handed back on failure
    auto done = co_await group.execute(std::move(mutations));
    if (done) {
      for (auto& slot : batch) {
        slot->kind = Kind::kCommitted;
        slot->index = *done;
      }
      co_return;
    }
    const auto& e = done.error();
    if (e.is_too_large() && batch.size() > 1) {
      const auto half = batch.begin() + static_cast<std::ptrdiff_t>(batch.size() / 2);
      co_await send(group, Batch(batch.begin(), half));
      co_await send(group, Batch(half, batch.end()));
      co_return;
    }
    Kind kind = Kind::kOffline;
    if (e.is_terminated()) kind = Kind::kDown;
    if (e.is_too_large()) kind = Kind::kTooLarge;
    if (e.is_timeout()) kind = Kind::kTimeout;
    for (auto& slot : batch) slot->kind = kind;
  }

  template <class T, class Back>
  static asio::awaitable<std::expected<Version, Error<T>>> run(groups::Group<GroupMachine> group,
                                                               std::shared_ptr<Waiting> waiting, Command command,
                                                               Back back) {
    auto slot = std::make_shared<Slot>(std::move(command));
    {
      std::lock_guard lock(waiting->mutex);
      waiting->slots.push_back(slot);
    }
    // A task of its own, so no caller waits for others' batches after its own one settled.
    if (auto batch = take_batch(*waiting, false); !batch.empty())
      asio::co_spawn(co_await asio::this_coro::executor, flush(group, waiting, std::move(batch)), asio::detached);
    waiting.reset();  // the queue and the batches own the slot, not the waiting caller
    OneShot<Outcome>* done = &slot->done;
    auto outcome = co_await OneShot<Outcome>::receive(std::shared_ptr<OneShot<Outcome>>(std::move(slot), done));
    switch (outcome.kind) {
      case Kind::kCommitted: break;
      case Kind::kDown: co_return std::unexpected(Error<T>::network_down());
      case Kind::kTooLarge: co_return std::unexpected(Error<T>::too_large());
      case Kind::kTimeout: co_return std::unexpected(Error<T>::timeout(back(std::move(outcome.command))));
      case Kind::kPending:
      case Kind::kOffline: co_return std::unexpected(Error<T>::offline(back(std::move(outcome.command))));
    }
    const Version v(outcome.index);
    // Read-your-writes: this member publishes its status after applying what committed.
    // Mostly it has already (a leader applies as it commits): then no timer is armed.
    auto status = group.status_watch();
    if (status.borrow().committed < v.index) {
      auto applied = When(std::move(status)).reaches(v);
      (void)co_await with_timeout(std::move(applied), kApplyWaitLimit);
    }
    co_return v;
  }

  groups::Group<GroupMachine> group_;
  std::shared_ptr<Published<State>> published_;
  std::shared_ptr<Waiting> waiting_ = std::make_shared<Waiting>();
};

}  // namespace detail
}  // namespace mosaik::collections
