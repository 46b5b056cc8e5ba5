#include "held_snapshots.hpp"

#include "messages.hpp"

namespace mosaik::groups::detail {

void HeldSnapshots::hold(raft::SnapshotPoint point, SnapshotCapture capture, raft::Time now) {
  const Index at = point.cursor.index;
  held_.insert_or_assign(at, Held{std::move(point), std::move(capture), nullptr, std::nullopt});
  expire(now);
}

const std::vector<SnapshotItem>& HeldSnapshots::items_of(Held& held) {
  if (!held.items) {
    if (!held.capture.encoded()) ++encodes_;
    held.items = held.capture.items();
    held.capture = SnapshotCapture();  // the encoded items replace the captured version
  }
  return *held.items;
}

const HeldSnapshots::Held* HeldSnapshots::newest_from(Index least, raft::Time now) {
  expire(now);
  if (held_.empty() || held_.rbegin()->first < least) return nullptr;
  auto& newest = held_.rbegin()->second;
  newest.last_used = now;
  (void)items_of(newest);
  return &newest;
}

std::optional<std::vector<SnapshotItem>> HeldSnapshots::batch(Index index, std::uint64_t offset,
                                                              std::uint64_t count, raft::Time now) {
  expire(now);
  auto it = held_.find(index);
  if (it == held_.end()) return std::nullopt;
  it->second.last_used = now;
  const auto& items = items_of(it->second);
  std::vector<SnapshotItem> out;
  std::size_t bytes = 0;
  for (auto i = offset; i < items.size() && out.size() < count; ++i) {
    const auto weight = items[i].key.size() + items[i].value.size() + 16;
    if (!out.empty() && bytes + weight > kMaxBatchBytes) break;
    bytes += weight;
    out.push_back(items[i]);
  }
  return out;
}

void HeldSnapshots::expire(raft::Time now) {
  if (held_.empty()) return;
  const Index newest = held_.rbegin()->first;
  std::erase_if(held_, [&](const auto& kv) {
    return kv.first != newest && (!kv.second.last_used || *kv.second.last_used + ttl_ < now);
  });
}

}  // namespace mosaik::groups::detail
