#include "snapshot_fetch.hpp"

#include <fmt/format.h>

#include <algorithm>


namespace mosaik::groups::detail {

SnapshotFetch::SnapshotFetch(Send send, SyncConfig config, Clock now, std::uint64_t first_request)
    : config_(config), requests_(std::move(send), std::move(now), config.fetch_timeout, first_request) {}

asio::awaitable<std::expected<SyncMessage, std::string>> SnapshotFetch::gather_offers(Index least,
                                                                                     std::vector<PeerId>& sources,
                                                                                     raft::Time deadline) {
  std::map<PeerId, SyncMessage> offers;
  for (const auto& peer : sources) {
    SyncMessage q;
    q.kind = static_cast<std::uint8_t>(SyncKind::Query);
    q.index = least.value;
    (void)requests_.ask(peer, q);
  }
  while (!requests_.idle() && requests_.now() < deadline) {
    co_await requests_.wait(deadline);
    while (auto reply = requests_.next_reply()) {
      auto& [peer, m] = *reply;
      if (!requests_.take(peer, m.request) || m.sync_kind() != SyncKind::Offer) continue;
      if (m.index >= least.value && m.index != 0) offers.insert_or_assign(peer, std::move(m));
    }
    (void)requests_.expired();  // a member that does not answer in time is no source
  }
  requests_.forget_all();
  if (offers.empty())
    co_return std::unexpected(fmt::format("none of {} members holds a snapshot at or after {}", sources.size(), least));
  // The index most members hold, the newest on a tie: then most batches can go in parallel.
  std::map<std::uint64_t, std::size_t> holders;
  for (const auto& [peer, m] : offers) ++holders[m.index];
  const auto chosen = std::max_element(holders.begin(), holders.end(), [](const auto& a, const auto& b) {
                        return a.second < b.second || (a.second == b.second && a.first < b.first);
                      })->first;
  const SyncMessage* reference = nullptr;
  sources.clear();
  for (const auto& [peer, m] : offers) {
    if (m.index != chosen) continue;
    if (reference == nullptr) reference = &m;
    // Snapshots at one index are of one state: a member that disagrees on its shape is left out.
    if (m.count == reference->count && m.point == reference->point) sources.push_back(peer);
  }
  co_return *reference;
}

asio::awaitable<std::expected<FetchedSnapshot, std::string>> SnapshotFetch::run(Index least,
                                                                                std::vector<PeerId> sources) {
  const auto deadline = requests_.now() + config_.snapshot_request_timeout;
  auto offer = co_await gather_offers(least, sources, deadline);
  if (!offer) co_return std::unexpected(offer.error());

  FetchedSnapshot out;
  out.point = offer->point;
  const std::uint64_t total = offer->count;
  const std::uint64_t batch = std::max<std::uint64_t>(1, std::min<std::uint64_t>(config_.fetch_batch_size, kMaxFetchItems));
  std::deque<Chunk> chunks;
  for (std::uint64_t at = 0; at < total; at += batch) chunks.push_back(Chunk{at, std::min(batch, total - at)});
  std::map<std::uint64_t, std::vector<SnapshotItem>> received;  // by offset
  std::uint64_t got = 0;
  std::set<PeerId> live(sources.begin(), sources.end()), busy;
  auto drop_source = [&](const PeerId& peer, const Outstanding& o) {
    live.erase(peer);
    busy.erase(peer);
    chunks.push_front(Chunk{o.offset, o.count});
  };

  while (got < total) {
    if (requests_.now() >= deadline)
      co_return std::unexpected(fmt::format("snapshot {} not fetched within {} ms ({} of {} items)", offer->index,
                                            config_.snapshot_request_timeout.count(), got, total));
    for (auto it = live.begin(); it != live.end() && !chunks.empty();) {
      const PeerId peer = *it++;
      if (busy.contains(peer)) continue;
      const Chunk c = chunks.front();
      chunks.pop_front();
      SyncMessage f;
      f.kind = static_cast<std::uint8_t>(SyncKind::Fetch);
      f.index = offer->index;
      f.offset = c.offset;
      f.count = c.count;
      if (requests_.ask(peer, f) == 0) {
        drop_source(peer, Outstanding{peer, SyncKind::Fetch, c.offset, c.count, {}});
        continue;
      }
      busy.insert(peer);
    }
    if (live.empty())
      co_return std::unexpected(fmt::format("every source of snapshot {} failed ({} of {} items)", offer->index, got, total));
    co_await requests_.wait(deadline);
    while (auto reply = requests_.next_reply()) {
      auto& [peer, m] = *reply;
      const auto taken = requests_.take(peer, m.request);
      if (!taken) continue;
      const Outstanding asked = *taken;
      if (m.sync_kind() != SyncKind::Batch || m.index != offer->index || m.offset != asked.offset ||
          m.items.size() > asked.count) {
        drop_source(peer, asked);  // Gone, or an answer to something we did not ask
        continue;
      }
      busy.erase(peer);
      out.served_by.insert(peer);
      const auto n = m.items.size();
      got += n;
      received.emplace(asked.offset, std::move(m.items));
      if (n < asked.count) chunks.push_front(Chunk{asked.offset + n, asked.count - n});  // cut by the byte bound
    }
    for (const auto& late : requests_.expired()) drop_source(late.peer, late);
  }
  out.items.reserve(total);
  for (auto& [offset, items] : received) std::move(items.begin(), items.end(), std::back_inserter(out.items));
  co_return out;
}

}  // namespace mosaik::groups::detail
