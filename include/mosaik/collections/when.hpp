#pragma once
// The collections' When (the seed's): conditions on this member's view of the collection's
// group. Each awaitable holds its own copy of the status watch, so it may outlive when().
//
//   co_await map.when().online();
//   co_await map.when().reaches(version);   // this member applied it: reads show it

#include <asio/awaitable.hpp>

#include <mosaik/collections/version.hpp>
#include <mosaik/groups/status.hpp>
#include <mosaik/primitives/async/watch.hpp>

namespace mosaik::collections {

class When {
 public:
  explicit When(WatchReceiver<groups::Status> status) : status_(std::move(status)) {}

  // Mutations can be made: a leader is known and reachable (this member, or a bonded one).
  [[nodiscard]] asio::awaitable<void> online() const { return until_online(status_, true); }
  // The opposite: no reachable leader (or the group terminated).
  [[nodiscard]] asio::awaitable<void> offline() const { return until_online(status_, false); }
  // This member's committed state is at least `v` (reads show every mutation up to it).
  [[nodiscard]] asio::awaitable<Version> reaches(Version v) const { return reaches_on(status_, v); }
  // A version newer than the one current when updated() was called.
  [[nodiscard]] asio::awaitable<Version> updated() const {
    return reaches_on(status_, Version(status_.borrow().committed.next()));
  }

  static bool is_online(const groups::Status& s) {
    return !s.terminated && s.leader.has_value() && (s.is_leader || s.bonds > 0);
  }

 private:
  static asio::awaitable<void> until_online(WatchReceiver<groups::Status> status, bool want) {
    (void)co_await status.wait_until([want](const groups::Status& s) { return is_online(s) == want; });
  }
  static asio::awaitable<Version> reaches_on(WatchReceiver<groups::Status> status, Version v) {
    auto s = co_await status.wait_until([v](const groups::Status& st) { return st.committed >= v.index; });
    co_return Version(s.committed);
  }

  WatchReceiver<groups::Status> status_;
};

}  // namespace mosaik::collections
