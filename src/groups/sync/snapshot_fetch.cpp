#include "snapshot_fetch.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "mosaik/primitives/async/timeout.hpp"

namespace mosaik::groups::detail {

SnapshotFetch::SnapshotFetch(Send send, SyncConfig config, Clock now, std::uint64_t first_request)
    : send_(std::move(send)), config_(config), now_(std::move(now)), next_request_(first_request) {}

void SnapshotFetch::on_reply(const PeerId& from, SyncMessage m) {
  replies_.emplace_back(from, std::move(m));
  arrived_.notify();
}

std::uint64_t SnapshotFetch::ask(const PeerId& peer, SyncMessage m) {
  m.request = next_request_++;
  if (!send_(peer, m)) return 0;
  outstanding_[m.request] = Outstanding{peer, m.sync_kind(), m.offset, m.count, now_() + config_.fetch_timeout};
  return m.request;
}

asio::awaitable<void> SnapshotFetch::wait(raft::Time limit) {
  if (!replies_.empty()) co_return;
  const auto seen = arrived_.version();
  raft::Time until = limit;
  for (const auto& [request, o] : outstanding_) until = std::min(until, o.deadline);
  const auto left = until - now_();
  if (left <= raft::Time::zero()) co_return;
  (void)co_await with_timeout(arrived_.wait_change(seen), std::chrono::duration_cast<std::chrono::steady_clock::duration>(left));
}

std::vector<SnapshotFetch::Outstanding> SnapshotFetch::expired() {
  std::vector<Outstanding> out;
  const auto now = now_();
  for (auto it = outstanding_.begin(); it != outstanding_.end();) {
    if (it->second.deadline <= now) {
      out.push_back(it->second);
      it = outstanding_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

asio::awaitable<std::expected<SyncMessage, std::string>> SnapshotFetch::gather_offers(Index least,
                                                                                     std::vector<PeerId>& sources,
                                                                                     raft::Time deadline) {
  std::map<PeerId, SyncMessage> offers;
  for (const auto& peer : sources) {
    SyncMessage q;
    q.kind = static_cast<std::uint8_t>(SyncKind::Query);
    q.index = least.value;
    (void)ask(peer, q);
  }
  while (!outstanding_.empty() && now_() < deadline) {
    co_await wait(deadline);
    while (!replies_.empty()) {
      auto [peer, m] = std::move(replies_.front());
      replies_.pop_front();
      auto it = outstanding_.find(m.request);
      if (it == outstanding_.end() || it->second.peer != peer || m.sync_kind() != SyncKind::Offer) continue;
      outstanding_.erase(it);
      if (m.index >= least.value && m.index != 0) offers.insert_or_assign(peer, std::move(m));
    }
    (void)expired();  // a member that does not answer in time is no source
  }
  outstanding_.clear();
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
  const auto deadline = now_() + config_.snapshot_request_timeout;
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
    if (now_() >= deadline)
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
      if (ask(peer, f) == 0) {
        drop_source(peer, Outstanding{peer, SyncKind::Fetch, c.offset, c.count, {}});
        continue;
      }
      busy.insert(peer);
    }
    if (live.empty())
      co_return std::unexpected(fmt::format("every source of snapshot {} failed ({} of {} items)", offer->index, got, total));
    co_await wait(deadline);
    while (!replies_.empty()) {
      auto [peer, m] = std::move(replies_.front());
      replies_.pop_front();
      auto it = outstanding_.find(m.request);
      if (it == outstanding_.end() || it->second.peer != peer) continue;
      const Outstanding asked = it->second;
      outstanding_.erase(it);
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
    for (const auto& late : expired()) drop_source(late.peer, late);
  }
  out.items.reserve(total);
  for (auto& [offset, items] : received) std::move(items.begin(), items.end(), std::back_inserter(out.items));
  co_return out;
}

}  // namespace mosaik::groups::detail
