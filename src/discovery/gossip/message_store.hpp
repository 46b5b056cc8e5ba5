#pragma once
// Recently received payloads, kept so a peer that GRAFTs an id can be sent the payload.
// Bounded by age (`retention`), by count and by total payload bytes; the oldest go first.
//
//   MessageStore store({.retention = 30s, .max_messages = 4096, .max_bytes = 16 << 20});
//   store.put(item, now);  if (auto* m = store.get(id)) resend(*m);

#include <cstddef>
#include <deque>
#include <unordered_map>
#include <utility>
#include <vector>

#include "instant.hpp"
#include "messages.hpp"

namespace mosaik::discovery::gossip {

struct MessageStoreLimits {
  Instant retention{30'000};
  std::size_t max_messages = 4096;
  std::size_t max_bytes = 16 * 1024 * 1024;
};

class MessageStore {
 public:
  explicit MessageStore(MessageStoreLimits limits) : limits_(limits) {}

  void put(GossipItem item, Instant now);
  const GossipItem* get(const MessageId& id) const;
  // The payloads stored at or after `since`, oldest first.
  std::vector<const GossipItem*> stored_since(Instant since) const;
  void expire(Instant now);
  std::size_t size() const { return items_.size(); }
  std::size_t bytes() const { return bytes_; }

 private:
  void evict_oldest();

  MessageStoreLimits limits_;
  std::unordered_map<MessageId, GossipItem> items_;
  std::deque<std::pair<Instant, MessageId>> order_;
  std::size_t bytes_ = 0;
};

}  // namespace mosaik::discovery::gossip
