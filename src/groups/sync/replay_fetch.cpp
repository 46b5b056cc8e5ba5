#include "replay_fetch.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>

namespace mosaik::groups::detail {

namespace {

struct ReplayChunk {
  std::uint64_t first;
  std::uint64_t count;
};

struct ReceivedBatch {
  PeerId from;
  SyncMessage batch;
};

}  // namespace

ReplayFetch::ReplayFetch(SyncRequests::Send send, SyncRequests::Clock now, const SyncConfig& config,
                         std::uint64_t first_request)
    : batch_(std::max<std::uint64_t>(1, std::min<std::uint64_t>(config.fetch_batch_size, kMaxFetchItems))),
      requests_(std::move(send), std::move(now), config.fetch_timeout, first_request) {}

asio::awaitable<std::expected<ReplayFetched, std::string>> ReplayFetch::run(raft::ReplayRequest want,
                                                                           std::uint64_t incarnation,
                                                                           std::vector<PeerId> sources,
                                                                           Deliver deliver) {
  ReplayFetched out;
  out.reached = want.from.prev();
  const std::uint64_t target = want.target.value;
  std::uint64_t unasked = want.from.value;  // chunks are cut lazily: the target is the leader's word
  std::deque<ReplayChunk> again;            // chunks whose source failed, asked first
  std::map<std::uint64_t, ReceivedBatch> received;  // by first index, until they are next in line
  std::set<PeerId> live(sources.begin(), sources.end()), busy;
  auto drop_source = [&](const PeerId& peer, std::uint64_t first, std::uint64_t count) {
    live.erase(peer);
    busy.erase(peer);
    again.push_front(ReplayChunk{first, count});
  };
  auto next_chunk = [&]() -> std::optional<ReplayChunk> {
    while (!again.empty()) {
      const auto c = again.front();
      again.pop_front();
      if (c.first + c.count - 1 > out.reached.value) return c;  // else the core has it already
    }
    unasked = std::max(unasked, out.reached.value + 1);  // what the leader brought is not asked for
    if (unasked > target) return std::nullopt;
    const ReplayChunk c{unasked, std::min(batch_, target - unasked + 1)};
    unasked += c.count;
    return c;
  };

  for (;;) {
    out.reached = std::max(out.reached, commit_);  // the leader may have brought the rest
    if (out.reached.value >= target) break;
    live.insert(joined_.begin(), joined_.end());
    joined_.clear();
    for (auto it = live.begin(); it != live.end();) {
      const PeerId peer = *it++;
      if (busy.contains(peer)) continue;
      const auto c = next_chunk();
      if (!c) break;
      SyncMessage f;
      f.kind = static_cast<std::uint8_t>(SyncKind::ReplayFetch);
      f.index = f.offset = c->first;
      f.count = c->count;
      f.incarnation = incarnation;
      if (requests_.ask(peer, f) == 0) {
        drop_source(peer, c->first, c->count);
        continue;
      }
      busy.insert(peer);
    }
    if (live.empty())
      co_return std::unexpected(fmt::format("every source failed at index {} (target {})", out.reached.next(), target));
    co_await requests_.wait(requests_.now() + std::chrono::seconds(1));
    while (auto reply = requests_.next_reply()) {
      auto& [peer, m] = *reply;
      const auto asked = requests_.take(peer, m.request);
      if (!asked) continue;
      if (m.sync_kind() != SyncKind::ReplayBatch || m.index != asked->offset || m.entries.size() > asked->count) {
        drop_source(peer, asked->offset, asked->count);  // Gone, or an answer to something we did not ask
        continue;
      }
      busy.erase(peer);
      const auto n = m.entries.size();
      if (n < asked->count) again.push_front(ReplayChunk{asked->offset + n, asked->count - n});  // cut by a bound
      received.insert_or_assign(m.index, ReceivedBatch{peer, std::move(m)});
    }
    for (const auto& late : requests_.expired()) drop_source(late.peer, late.offset, late.count);
    // Hand the batches next in line to the core, in order.
    while (!received.empty() && received.begin()->first <= out.reached.value + 1) {
      auto node = received.extract(received.begin());
      auto& [from, m] = node.mapped();
      if (m.entries.back().index <= out.reached) continue;
      const raft::CommittedRun run{m.incarnation, Cursor{m.term, Index(m.index - 1)}, std::move(m.entries)};
      auto took = deliver(run);
      if (!took) {
        drop_source(from, m.index, run.entries.size());  // it does not fit our log: not from this source
        continue;
      }
      out.reached = std::max(out.reached, *took);
      ++out.batches;
      out.served_by.insert(from);
    }
  }
  co_return out;
}

}  // namespace mosaik::groups::detail
