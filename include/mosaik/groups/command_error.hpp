#pragma once
// Errors of execute/feed and query, how strong a query is, and what a query returns.
//
//   auto res = co_await group.query(q, Consistency::Strong);   // expected<CommittedQueryResult<M>, QueryError<M>>
//   if (!res && res.error().is_offline()) { retry(res.error().query()); }

#include <utility>
#include <variant>
#include <vector>

#include <mosaik/groups/index.hpp>

namespace mosaik::groups {

// How fresh a query's answer must be.
enum class Consistency {
  Weak,    // the local state machine, possibly stale
  Strong,  // linearizable: confirmed with the leader (ReadIndex) before reading
};

template <class M>
class CommandError {
 public:
  struct Offline { std::vector<typename M::Command> commands; };  // certainly not committed: retry them
  // The outcome is unknown (the leader did not answer in time, or lost leadership after it
  // may have appended them): they may have committed. Carried back for the caller to decide;
  // a blind retry may apply them twice. docs/decisions/0406.
  struct Timeout { std::vector<typename M::Command> commands; };
  struct NoCommands {};                                            // empty batch: a caller bug
  struct TooLarge {};  // the encoded batch exceeds what one consensus message carries: a caller bug
  struct GroupTerminated {};                                       // permanent

  CommandError(Offline o) : v_(std::move(o)) {}          // NOLINT: implicit, as a variant
  CommandError(Timeout t) : v_(std::move(t)) {}          // NOLINT
  CommandError(NoCommands n) : v_(n) {}                  // NOLINT
  CommandError(TooLarge t) : v_(t) {}                    // NOLINT
  CommandError(GroupTerminated g) : v_(g) {}             // NOLINT

  [[nodiscard]] bool is_offline() const { return std::holds_alternative<Offline>(v_); }
  [[nodiscard]] bool is_timeout() const { return std::holds_alternative<Timeout>(v_); }
  [[nodiscard]] bool is_no_commands() const { return std::holds_alternative<NoCommands>(v_); }
  [[nodiscard]] bool is_too_large() const { return std::holds_alternative<TooLarge>(v_); }
  [[nodiscard]] bool is_terminated() const { return std::holds_alternative<GroupTerminated>(v_); }
  // The commands carried back; empty unless is_offline() or is_timeout().
  [[nodiscard]] std::vector<typename M::Command> take_commands() && {
    if (auto* o = std::get_if<Offline>(&v_)) return std::move(o->commands);
    if (auto* t = std::get_if<Timeout>(&v_)) return std::move(t->commands);
    return {};
  }
  [[nodiscard]] const std::variant<Offline, Timeout, NoCommands, TooLarge, GroupTerminated>& variant() const {
    return v_;
  }

 private:
  std::variant<Offline, Timeout, NoCommands, TooLarge, GroupTerminated> v_;
};

template <class M>
class QueryError {
 public:
  struct Offline { typename M::Query query; };  // retry: carries the query back
  struct GroupTerminated {};

  QueryError(Offline o) : v_(std::move(o)) {}     // NOLINT
  QueryError(GroupTerminated g) : v_(g) {}        // NOLINT

  [[nodiscard]] bool is_offline() const { return std::holds_alternative<Offline>(v_); }
  [[nodiscard]] bool is_terminated() const { return std::holds_alternative<GroupTerminated>(v_); }
  [[nodiscard]] const std::variant<Offline, GroupTerminated>& variant() const { return v_; }

 private:
  std::variant<Offline, GroupTerminated> v_;
};

// A query's answer and the log position of the state it was read from.
template <class M>
struct CommittedQueryResult {
  typename M::QueryResult result;
  Index at_position;

  [[nodiscard]] const typename M::QueryResult& operator*() const { return result; }
  [[nodiscard]] const typename M::QueryResult* operator->() const { return &result; }
  [[nodiscard]] Index state_position() const { return at_position; }
  [[nodiscard]] typename M::QueryResult into() && { return std::move(result); }
};

}  // namespace mosaik::groups
