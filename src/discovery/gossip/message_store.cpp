#include "message_store.hpp"

#include <iterator>

namespace mosaik::discovery::gossip {

void MessageStore::put(GossipItem item, Instant now) {
  if (item.payload.size() > limits_.max_bytes || limits_.max_messages == 0 || items_.contains(item.id)) return;
  bytes_ += item.payload.size();
  const MessageId id = item.id;
  items_.emplace(id, std::move(item));
  order_.emplace_back(now + limits_.retention, id);
  while (items_.size() > limits_.max_messages || bytes_ > limits_.max_bytes) evict_oldest();
}

const GossipItem* MessageStore::get(const MessageId& id) const {
  const auto it = items_.find(id);
  return it == items_.end() ? nullptr : &it->second;
}

std::vector<const GossipItem*> MessageStore::stored_since(Instant since) const {
  // order_ holds expiry times (stored + retention), oldest first: walk back from the newest.
  auto it = order_.end();
  while (it != order_.begin() && std::prev(it)->first - limits_.retention >= since) --it;
  std::vector<const GossipItem*> out;
  out.reserve(static_cast<std::size_t>(order_.end() - it));
  for (; it != order_.end(); ++it) out.push_back(&items_.at(it->second));
  return out;
}

void MessageStore::expire(Instant now) {
  while (!order_.empty() && order_.front().first <= now) evict_oldest();
}

void MessageStore::evict_oldest() {
  const auto it = items_.find(order_.front().second);
  bytes_ -= it->second.payload.size();
  items_.erase(it);
  order_.pop_front();
}

}  // namespace mosaik::discovery::gossip
