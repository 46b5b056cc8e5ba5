#pragma once
// The fetching side of replay from the members (docs/decisions/0412): the committed entries
// [from, target] in batches of fetch_batch_size, one batch in flight per source, so the load
// spreads over all of them. Batches may arrive in any order; each goes to the core (Deliver)
// in index order. A source that answers Gone, answers something not asked, misses
// fetch_timeout or serves a batch the core refuses (it does not link to our log) loses its
// batch to another; the fetch fails when no source is left. A member that bonds meanwhile
// becomes a source too. Once the leader has brought the rest (it appends to a member no
// longer far behind), the fetch ends without waiting for batches still on their way.
//
//   auto fetch = std::make_shared<ReplayFetch>(send, now, config, first_request);
//   // replies: if (fetch->owns(m.request)) fetch->on_reply(peer, std::move(m));
//   // the commit moved (by the leader's appends too): fetch->committed(core.commit_index());
//   auto done = co_await fetch->run(request, incarnation, sources, deliver);

#include <asio/awaitable.hpp>

#include <cstdint>
#include <expected>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "groups/raft/core.hpp"
#include "sync_requests.hpp"

namespace mosaik::groups::detail {

struct ReplayFetched {
  Index reached;               // our commit index after the last batch
  std::uint64_t batches = 0;   // batches the core took
  std::set<PeerId> served_by;  // the sources those came from
};

class ReplayFetch {
 public:
  // Hands a run to the core; our commit index after it, or why the core refused it.
  using Deliver = std::function<std::expected<Index, std::string>(const raft::CommittedRun&)>;

  ReplayFetch(SyncRequests::Send send, SyncRequests::Clock now, const SyncConfig& config, std::uint64_t first_request);

  [[nodiscard]] bool owns(std::uint64_t request) const { return requests_.owns(request); }
  void on_reply(const PeerId& from, SyncMessage m) { requests_.on_reply(from, std::move(m)); }
  // A member bonded while the fetch runs: a source from now on.
  void add_source(const PeerId& peer) {
    joined_.push_back(peer);
    requests_.wake();
  }
  // Our commit index moved, whichever way: what the fetch has no need to take any more.
  void committed(Index commit) {
    if (commit <= commit_) return;
    commit_ = commit;
    requests_.wake();
  }
  asio::awaitable<std::expected<ReplayFetched, std::string>> run(raft::ReplayRequest want, std::uint64_t incarnation,
                                                                 std::vector<PeerId> sources, Deliver deliver);

 private:
  const std::uint64_t batch_;
  SyncRequests requests_;
  std::vector<PeerId> joined_;
  Index commit_{};
};

}  // namespace mosaik::groups::detail
