#include "sync_requests.hpp"

#include <algorithm>

#include "mosaik/primitives/async/timeout.hpp"

namespace mosaik::groups::detail {

SyncRequests::SyncRequests(Send send, Clock now, std::chrono::milliseconds timeout, std::uint64_t first_request)
    : send_(std::move(send)), now_(std::move(now)), timeout_(timeout), next_request_(first_request) {}

void SyncRequests::on_reply(const PeerId& from, SyncMessage m) {
  replies_.emplace_back(from, std::move(m));
  arrived_.notify();
}

std::uint64_t SyncRequests::ask(const PeerId& peer, SyncMessage m) {
  m.request = next_request_++;
  if (!send_(peer, m)) return 0;
  outstanding_[m.request] = Outstanding{peer, m.sync_kind(), m.offset, m.count, now_() + timeout_};
  return m.request;
}

asio::awaitable<void> SyncRequests::wait(raft::Time limit) {
  if (!replies_.empty()) co_return;
  const auto seen = arrived_.version();
  raft::Time until = limit;
  for (const auto& [request, o] : outstanding_) until = std::min(until, o.deadline);
  const auto left = until - now_();
  if (left <= raft::Time::zero()) co_return;
  (void)co_await with_timeout(arrived_.wait_change(seen), std::chrono::duration_cast<std::chrono::steady_clock::duration>(left));
}

std::optional<std::pair<PeerId, SyncMessage>> SyncRequests::next_reply() {
  if (replies_.empty()) return std::nullopt;
  auto reply = std::move(replies_.front());
  replies_.pop_front();
  return reply;
}

std::optional<SyncRequests::Outstanding> SyncRequests::take(const PeerId& from, std::uint64_t request) {
  auto it = outstanding_.find(request);
  if (it == outstanding_.end() || it->second.peer != from) return std::nullopt;
  auto asked = it->second;
  outstanding_.erase(it);
  return asked;
}

std::vector<SyncRequests::Outstanding> SyncRequests::expired() {
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

}  // namespace mosaik::groups::detail
