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
#include <expected>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "messages.hpp"
#include "sync_requests.hpp"

namespace mosaik::groups::detail {

struct FetchedSnapshot {
  raft::SnapshotPoint point;
  std::vector<SnapshotItem> items;
  std::set<PeerId> served_by;  // the sources batches came from
};

class SnapshotFetch {
 public:
  using Send = SyncRequests::Send;
  using Clock = SyncRequests::Clock;

  SnapshotFetch(Send send, SyncConfig config, Clock now, std::uint64_t first_request);

  [[nodiscard]] bool owns(std::uint64_t request) const { return requests_.owns(request); }
  void on_reply(const PeerId& from, SyncMessage m) { requests_.on_reply(from, std::move(m)); }
  asio::awaitable<std::expected<FetchedSnapshot, std::string>> run(Index least, std::vector<PeerId> sources);

 private:
  using Outstanding = SyncRequests::Outstanding;
  struct Chunk {
    std::uint64_t offset;
    std::uint64_t count;
  };

  asio::awaitable<std::expected<SyncMessage, std::string>> gather_offers(Index least, std::vector<PeerId>& sources,
                                                                         raft::Time deadline);

  const SyncConfig config_;
  SyncRequests requests_;
};

}  // namespace mosaik::groups::detail
