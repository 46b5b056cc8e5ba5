#pragma once
// The fetching side of state sync: one attempt to get a snapshot at or after an index from
// the bonded members. It asks every source for an offer, picks the snapshot index most of
// them hold (the newest on a tie), then fetches its items in batches of fetch_batch_size,
// one batch in flight per source, so the load spreads over all of them. A source that
// answers Gone, answers out of turn or misses fetch_timeout is dropped and its batch goes
// to another; the attempt fails when no source is left or snapshot_request_timeout passes.
//
//   auto fetch = std::make_shared<SnapshotFetch>(send, config, now);
//   // replies: if (fetch->owns(m.request)) fetch->on_reply(peer, std::move(m));
//   auto got = co_await fetch->run(least, sources);   // expected<FetchedSnapshot, string>

#include <asio/awaitable.hpp>

#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "messages.hpp"
#include "mosaik/primitives/async/notifier.hpp"
#include "mosaik/primitives/keys.hpp"

namespace mosaik::groups::detail {

struct FetchedSnapshot {
  raft::SnapshotPoint point;
  std::vector<SnapshotItem> items;
  std::set<PeerId> served_by;  // the sources batches came from
};

class SnapshotFetch {
 public:
  // Sends to a bonded member; false when there is no bond with it any more.
  using Send = std::function<bool(const PeerId&, const SyncMessage&)>;
  using Clock = std::function<raft::Time()>;

  SnapshotFetch(Send send, SyncConfig config, Clock now, std::uint64_t first_request);

  [[nodiscard]] bool owns(std::uint64_t request) const { return outstanding_.contains(request); }
  void on_reply(const PeerId& from, SyncMessage m);
  asio::awaitable<std::expected<FetchedSnapshot, std::string>> run(Index least, std::vector<PeerId> sources);

 private:
  struct Outstanding {
    PeerId peer;
    SyncKind kind;
    std::uint64_t offset = 0;
    std::uint64_t count = 0;
    raft::Time deadline{};
  };
  struct Chunk {
    std::uint64_t offset;
    std::uint64_t count;
  };

  std::uint64_t ask(const PeerId& peer, SyncMessage m);
  // Waits for a reply or the earliest outstanding deadline (at most until `limit`).
  asio::awaitable<void> wait(raft::Time limit);
  // Removes the outstanding requests whose deadline passed, returning them.
  std::vector<Outstanding> expired();
  asio::awaitable<std::expected<SyncMessage, std::string>> gather_offers(Index least, std::vector<PeerId>& sources,
                                                                         raft::Time deadline);

  Send send_;
  const SyncConfig config_;
  Clock now_;
  std::uint64_t next_request_;
  std::map<std::uint64_t, Outstanding> outstanding_;
  std::deque<std::pair<PeerId, SyncMessage>> replies_;
  Notifier arrived_;
};

}  // namespace mosaik::groups::detail
