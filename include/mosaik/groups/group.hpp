#pragma once
// Group<M>: the handle of a joined group (the seed's Group). Copies share one membership;
// when the last handle goes, this node leaves the group (its bonds hear a departure).
//
//   auto idx = co_await group.execute(Cmd::increment(5));     // expected<Index, CommandError<M>>
//   PeerId leader = co_await group.when().leader_elected();
//   co_await group.when().committed().reaches(*idx);
//   auto lost = co_await group.when().incarnation_lost();   // our side yielded (decision 0407)

#include <asio/co_spawn.hpp>
#include <asio/use_awaitable.hpp>

#include <expected>
#include <memory>
#include <optional>
#include <vector>

#include <mosaik/groups/command_error.hpp>
#include <mosaik/groups/detail/groups_api.hpp>
#include <mosaik/groups/detail/submit_op.hpp>
#include <mosaik/groups/incarnation_lost.hpp>
#include <mosaik/groups/state_machine.hpp>
#include <mosaik/groups/status.hpp>
#include <mosaik/primitives/log.hpp>
#include <mosaik/primitives/wire.hpp>

namespace mosaik::groups {

namespace detail {

// A joined group with its typed state machine. The machine is touched only on the group's
// executor (apply), so it needs no lock; the membership ends with the last handle.
template <StateMachine M>
struct TypedGroup {
  TypedGroup(const std::shared_ptr<GroupsApi>& a, std::shared_ptr<GroupCore> c, M m)
      : api(a), core(std::move(c)), machine(std::move(m)) {}
  TypedGroup(const TypedGroup&) = delete;
  TypedGroup& operator=(const TypedGroup&) = delete;
  ~TypedGroup() {
    if (auto a = api.lock()) a->leave(core->id());
  }

  // Weak: the node owns its groups subsystem, and a handle may outlive the node.
  std::weak_ptr<GroupsApi> api;
  std::shared_ptr<GroupCore> core;
  M machine;
};

class BatchContext final : public ApplyContext {
 public:
  BatchContext(Cursor committed, Cursor log_position, Term term)
      : committed_(committed), log_position_(log_position), term_(term) {}
  [[nodiscard]] Cursor committed() const override { return committed_; }
  [[nodiscard]] Cursor log_position() const override { return log_position_; }
  [[nodiscard]] Term current_term() const override { return term_; }

 private:
  Cursor committed_, log_position_;
  Term term_;
};

// Decodes committed commands and applies them in order, one batch per term.
template <StateMachine M>
void apply_committed(M& machine, const GroupId& id, std::vector<CommittedCommand> commands, Cursor committed,
                     Cursor log_position) {
  std::vector<typename M::Command> batch;
  Term batch_term;
  Cursor before = committed;  // ApplyContext::committed(): the position before the batch
  Cursor last = committed;
  auto flush = [&] {
    if (batch.empty()) return;
    apply_batch(machine, std::move(batch), BatchContext(before, log_position, batch_term));
    batch.clear();
    before = last;
  };
  for (auto& c : commands) {
    if (c.term != batch_term) flush();
    batch_term = c.term;
    auto decoded = wire::decode<typename M::Command>(c.data);
    if (!decoded) {
      // Every member skips it alike: a member with another Command type but the same
      // signature proposed it. Deterministic, so the replicas stay equal.
      log::module_logger<"groups">()->error("group {}: committed entry {} is no command of this machine ({}); skipped",
                                            id, c.index, decoded.error().message());
      last = Cursor{c.term, c.index};
      continue;
    }
    batch.push_back(std::move(*decoded));
    last = Cursor{c.term, c.index};
  }
  flush();
}

// A lost incarnation's commands decoded as M's; entries of another type are counted.
template <StateMachine M>
IncarnationLost<typename M::Command> decode_lost(const LostIncarnation& lost) {
  IncarnationLost<typename M::Command> out{lost.incarnation, lost.joined, lost.committed, lost.unlisted_through,
                                           {}, {}, 0};
  auto decode_into = [&out](const std::vector<CommittedCommand>& from, std::vector<typename M::Command>& to) {
    for (const auto& c : from) {
      if (auto decoded = wire::decode<typename M::Command>(c.data)) {
        to.push_back(std::move(*decoded));
      } else {
        ++out.undecodable;
      }
    }
  };
  decode_into(lost.commands, out.commands);
  decode_into(lost.uncertain, out.uncertain);
  return out;
}

}  // namespace detail

template <StateMachine M>
class Group {
 public:
  using Command = typename M::Command;

  explicit Group(std::shared_ptr<detail::TypedGroup<M>> state) : state_(std::move(state)) {}

  [[nodiscard]] const GroupId& id() const { return state_->core->id(); }
  [[nodiscard]] Status status() const { return state_->core->status().borrow(); }
  [[nodiscard]] std::optional<PeerId> leader() const { return status().leader; }
  [[nodiscard]] bool is_leader() const { return status().is_leader; }
  [[nodiscard]] Index committed() const { return status().committed; }
  [[nodiscard]] Index log_position() const { return status().log_position; }
  [[nodiscard]] std::size_t bonds() const { return status().bonds; }
  // Every change of status(), for conditions when() does not name.
  [[nodiscard]] WatchReceiver<Status> status_watch() const { return state_->core->status(); }
  // Every incarnation this member left for a larger one that met it, with what its side had
  // committed there (decision 0407); oldest first, usually none.
  [[nodiscard]] std::vector<IncarnationLost<Command>> incarnations_lost() const {
    std::vector<IncarnationLost<Command>> out;
    const auto all = state_->core->lost_incarnations().borrow();
    for (const auto& lost : *all) out.push_back(detail::decode_lost<M>(lost));
    return out;
  }

  // Appends `command` through the leader and waits until it commits: its index.
  asio::awaitable<std::expected<Index, CommandError<M>>> execute(Command command) const {
    std::vector<Command> one;
    one.push_back(std::move(command));
    auto range = co_await execute_many(std::move(one));
    if (!range) co_return std::unexpected(std::move(range.error()));
    co_return range->last;
  }

  // Appends `commands` as one batch, in order: the range they committed at.
  asio::awaitable<std::expected<IndexRange, CommandError<M>>> execute_many(std::vector<Command> commands) const {
    if (commands.empty()) co_return std::unexpected(CommandError<M>(typename CommandError<M>::NoCommands{}));
    std::vector<wire::Bytes> bytes;
    bytes.reserve(commands.size());
    for (const auto& c : commands) bytes.push_back(wire::encode(c));
    auto core = state_->core;
    if (core->terminated()) co_return std::unexpected(CommandError<M>(typename CommandError<M>::GroupTerminated{}));
    auto outcome = co_await detail::submit_op(std::move(core), std::move(bytes), /*until_commit=*/true);
    if (outcome.kind == detail::ExecuteOutcome::Kind::Committed) co_return outcome.range;
    co_return std::unexpected(error_of(outcome, std::move(commands)));
  }

  // Appends `command` through the leader: its index once assigned, before it commits.
  asio::awaitable<std::expected<Index, CommandError<M>>> feed(Command command) const {
    auto core = state_->core;
    if (core->terminated()) co_return std::unexpected(CommandError<M>(typename CommandError<M>::GroupTerminated{}));
    std::vector<wire::Bytes> bytes;
    bytes.push_back(wire::encode(command));
    auto outcome = co_await detail::submit_op(std::move(core), std::move(bytes), /*until_commit=*/false);
    if (outcome.kind == detail::ExecuteOutcome::Kind::Committed) co_return outcome.range.last;
    std::vector<Command> back;
    back.push_back(std::move(command));
    co_return std::unexpected(error_of(outcome, std::move(back)));
  }

  // Weak: this member's state now. Strong: linearizable, confirmed with the leader first.
  asio::awaitable<std::expected<CommittedQueryResult<M>, QueryError<M>>> query(typename M::Query query,
                                                                                 Consistency consistency) const {
    using Result = std::expected<CommittedQueryResult<M>, QueryError<M>>;
    auto state = state_;
    if (state->core->terminated()) co_return std::unexpected(QueryError<M>(typename QueryError<M>::GroupTerminated{}));
    // The machine is read on the group's executor, where it is applied.
    auto read = [](std::shared_ptr<detail::TypedGroup<M>> st, typename M::Query q, bool strong) -> asio::awaitable<Result> {
      auto barrier = co_await st->core->read_barrier(strong);
      switch (barrier.kind) {
        case detail::ReadBarrier::Kind::Ready:
          co_return CommittedQueryResult<M>{st->machine.query(q), barrier.at};
        case detail::ReadBarrier::Kind::Terminated:
          co_return std::unexpected(QueryError<M>(typename QueryError<M>::GroupTerminated{}));
        case detail::ReadBarrier::Kind::Offline: break;
      }
      co_return std::unexpected(QueryError<M>(typename QueryError<M>::Offline{std::move(q)}));
    };
    co_return co_await asio::co_spawn(state->core->executor(),
                                      read(state, std::move(query), consistency == Consistency::Strong),
                                      asio::use_awaitable);
  }

  // The conditions of when(). Each awaitable holds its own copy of the status watch, so
  // `auto ready = group.when().online(); co_await std::move(ready);` is fine.
  class When {
   public:
    When(WatchReceiver<Status> status, WatchReceiver<detail::LostIncarnations> lost)
        : status_(std::move(status)), lost_(std::move(lost)), lost_before_(lost_.borrow()->size()) {}
    // The first leader this member follows (or is).
    asio::awaitable<PeerId> leader_elected() const { return leader_elected_on(status_); }
    // A leader other than the one known now.
    asio::awaitable<PeerId> leader_changed() const {
      return leader_changed_on(status_, status_.borrow().leader);
    }
    // Commands can be executed: a leader is known and reachable (it is us, or we are bonded).
    asio::awaitable<void> online() const {
      return until(status_, [](const Status& st) { return st.leader && (st.is_leader || st.bonds > 0); });
    }
    asio::awaitable<void> is_leader() const {
      return until(status_, [](const Status& st) { return st.is_leader; });
    }
    asio::awaitable<void> is_follower() const {
      return until(status_, [](const Status& st) { return st.leader && !st.is_leader; });
    }
    class Committed {
     public:
      explicit Committed(WatchReceiver<Status> status) : status_(std::move(status)) {}
      // The commit index, once it is at least `index`.
      asio::awaitable<Index> reaches(Index index) const { return reaches_on(status_, index); }

     private:
      static asio::awaitable<Index> reaches_on(WatchReceiver<Status> status, Index index) {
        auto s = co_await status.wait_until([index](const Status& st) { return st.committed >= index; });
        co_return s.committed;
      }
      WatchReceiver<Status> status_;
    };
    [[nodiscard]] Committed committed() const { return Committed(status_); }
    // The first incarnation this member leaves after this When was made: its side yielded to
    // a larger incarnation of the group, and this is what that side had committed.
    asio::awaitable<IncarnationLost<Command>> incarnation_lost() const { return lost_on(lost_, lost_before_); }

   private:
    static asio::awaitable<IncarnationLost<Command>> lost_on(WatchReceiver<detail::LostIncarnations> lost,
                                                             std::size_t before) {
      auto all = co_await lost.wait_until([before](const detail::LostIncarnations& l) { return l->size() > before; });
      co_return detail::decode_lost<M>((*all)[before]);
    }
    template <class Pred>
    static asio::awaitable<void> until(WatchReceiver<Status> status, Pred pred) {
      (void)co_await status.wait_until(pred);
    }
    static asio::awaitable<PeerId> leader_elected_on(WatchReceiver<Status> status) {
      auto s = co_await status.wait_until([](const Status& st) { return st.leader.has_value(); });
      co_return *s.leader;
    }
    static asio::awaitable<PeerId> leader_changed_on(WatchReceiver<Status> status, std::optional<PeerId> before) {
      auto s = co_await status.wait_until(
          [before](const Status& st) { return st.leader.has_value() && st.leader != before; });
      co_return *s.leader;
    }
    WatchReceiver<Status> status_;
    WatchReceiver<detail::LostIncarnations> lost_;
    std::size_t lost_before_;
  };
  [[nodiscard]] When when() const { return When(state_->core->status(), state_->core->lost_incarnations()); }

 private:
  static CommandError<M> error_of(const detail::ExecuteOutcome& outcome, std::vector<Command> commands) {
    using E = CommandError<M>;
    switch (outcome.kind) {
      case detail::ExecuteOutcome::Kind::Terminated: return typename E::GroupTerminated{};
      case detail::ExecuteOutcome::Kind::TooLarge: return typename E::TooLarge{};
      case detail::ExecuteOutcome::Kind::Unknown: return typename E::Timeout{std::move(commands)};
      case detail::ExecuteOutcome::Kind::Committed:  // not an error; the callers handle it first
      case detail::ExecuteOutcome::Kind::Offline: break;
    }
    return typename E::Offline{std::move(commands)};
  }

  std::shared_ptr<detail::TypedGroup<M>> state_;
};

}  // namespace mosaik::groups
