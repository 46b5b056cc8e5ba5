#include "received_cache.hpp"

namespace mosaik::discovery::gossip {

bool ReceivedCache::insert(const MessageId& id, Instant now) {
  if (capacity_ == 0 || !ids_.insert(id).second) return false;
  order_.emplace_back(now + ttl_, id);
  while (order_.size() > capacity_) {
    ids_.erase(order_.front().second);
    order_.pop_front();
  }
  return true;
}

void ReceivedCache::expire(Instant now) {
  while (!order_.empty() && order_.front().first <= now) {
    ids_.erase(order_.front().second);
    order_.pop_front();
  }
}

}  // namespace mosaik::discovery::gossip
