#pragma once
// The ids of broadcast messages already seen, so a duplicate is recognised and not
// delivered twice. Bounded twice: an id is forgotten after `ttl`, and the oldest goes first
// when `capacity` ids are held. A message that returns after being forgotten is delivered
// again; callers choose ids (content hashes) so that a repeat is harmless.
//
//   ReceivedCache seen(10'000, 120s);
//   if (seen.insert(id, now)) deliver(...);   // false: seen before

#include <cstddef>
#include <deque>
#include <unordered_set>
#include <utility>

#include "instant.hpp"
#include "messages.hpp"

namespace mosaik::discovery::gossip {

class ReceivedCache {
 public:
  ReceivedCache(std::size_t capacity, Instant ttl) : capacity_(capacity), ttl_(ttl) {}

  bool contains(const MessageId& id) const { return ids_.contains(id); }
  // Records `id`; false when it was already there.
  bool insert(const MessageId& id, Instant now);
  // Forgets ids older than ttl.
  void expire(Instant now);
  std::size_t size() const { return ids_.size(); }

 private:
  std::size_t capacity_;
  Instant ttl_;
  std::unordered_set<MessageId> ids_;
  std::deque<std::pair<Instant, MessageId>> order_;  // insertion (= expiry) order
};

}  // namespace mosaik::discovery::gossip
