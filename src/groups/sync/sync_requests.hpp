#pragma once
// The requests one fetch (a snapshot's or a log replay's) has out with its sources: each is
// numbered, remembered with its deadline (fetch_timeout from sending) until answered, and
// its answer queued until the fetch takes it. Replies to numbers it never gave are not its.
//
//   SyncRequests out(send, now, timeout, first);
//   out.ask(peer, fetch);  co_await out.wait(limit);
//   while (auto r = out.next_reply()) { auto asked = out.take(r->first, r->second.request); ... }
//   for (auto& late : out.expired()) ...

#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "messages.hpp"
#include "mosaik/primitives/async/notifier.hpp"
#include "mosaik/primitives/keys.hpp"

namespace mosaik::groups::detail {

class SyncRequests {
 public:
  // Sends to a bonded member; false when there is no bond with it any more.
  using Send = std::function<bool(const PeerId&, const SyncMessage&)>;
  using Clock = std::function<raft::Time()>;
  struct Outstanding {
    PeerId peer;
    SyncKind kind;
    std::uint64_t offset = 0;
    std::uint64_t count = 0;
    raft::Time deadline{};
  };

  SyncRequests(Send send, Clock now, std::chrono::milliseconds timeout, std::uint64_t first_request);

  [[nodiscard]] bool owns(std::uint64_t request) const { return outstanding_.contains(request); }
  [[nodiscard]] bool idle() const { return outstanding_.empty(); }
  [[nodiscard]] raft::Time now() const { return now_(); }
  void on_reply(const PeerId& from, SyncMessage m);
  // Numbers and sends `m`; its number, or 0 when `peer` has no bond.
  std::uint64_t ask(const PeerId& peer, SyncMessage m);
  // Waits for a reply or the earliest outstanding deadline (at most until `limit`).
  asio::awaitable<void> wait(raft::Time limit);
  // The next reply queued, if any.
  std::optional<std::pair<PeerId, SyncMessage>> next_reply();
  // The request a reply from `from` answers, no longer outstanding; nullopt if it answers
  // none of ours (or came from another member than the one asked).
  std::optional<Outstanding> take(const PeerId& from, std::uint64_t request);
  // Removes the outstanding requests whose deadline passed, returning them.
  std::vector<Outstanding> expired();
  void forget_all() { outstanding_.clear(); }
  // Ends a wait() early: the fetch has something else to look at.
  void wake() { arrived_.notify(); }

 private:
  Send send_;
  Clock now_;
  const std::chrono::milliseconds timeout_;
  std::uint64_t next_request_;
  std::map<std::uint64_t, Outstanding> outstanding_;
  std::deque<std::pair<PeerId, SyncMessage>> replies_;
  Notifier arrived_;
};

}  // namespace mosaik::groups::detail
