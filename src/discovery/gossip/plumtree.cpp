#include "plumtree.hpp"

#include <algorithm>
#include <limits>

namespace mosaik::discovery::gossip {

std::string_view to_string(BroadcastAnomaly a) {
  switch (a) {
    case BroadcastAnomaly::kNotANeighbor:
      return "broadcast control message from a non-neighbour";
    case BroadcastAnomaly::kItemsClipped:
      return "items or ids clipped to the per-message bound";
    case BroadcastAnomaly::kGraftUnknown:
      return "graft for a payload no longer held";
    case BroadcastAnomaly::kQueueFull:
      return "neighbour queue full";
    case BroadcastAnomaly::kMissingTableFull:
      return "too many missing ids";
    case BroadcastAnomaly::kCount:
      break;
  }
  return "unknown broadcast anomaly";
}

Plumtree::Plumtree(PeerId self, PlumtreeConfig config)
    : self_(self),
      config_(config),
      received_(config.max_received_ids, config.received_ttl),
      store_(config.store) {}

Actions Plumtree::take_actions() { return std::exchange(actions_, {}); }

bool Plumtree::is_eager(const PeerId& peer) const {
  const auto it = peers_.find(peer);
  return it != peers_.end() && it->second.eager;
}

bool Plumtree::is_lazy(const PeerId& peer) const {
  const auto it = peers_.find(peer);
  return it != peers_.end() && !it->second.eager;
}

void Plumtree::neighbor_up(const EndpointAddr& peer, Instant now) {
  if (peer.id == self_) return;
  const auto [it, added] = peers_.try_emplace(peer.id, PeerState{.addr = peer});  // starts eager
  if (!added) return;
  // Pushed, not announced: no other copy of these is on its way to the newcomer, so waiting
  // for a Graft would only delay them by the graft timeout.
  for (const GossipItem* item : store_.stored_since(now - config_.catch_up_window)) {
    queue_payload(it->second, *item);
  }
  if (!it->second.eager_out.empty()) it->second.prompt = true;
}

void Plumtree::neighbor_down(const PeerId& peer) { peers_.erase(peer); }

bool Plumtree::broadcast(const MessageId& id, wire::Bytes payload, Instant now, bool urgent) {
  if (!received_.insert(id, now)) return false;
  GossipItem item{id, 0, urgent, std::move(payload)};
  push(item, self_);
  store_.put(std::move(item), now);
  return true;
}

void Plumtree::handle(const PeerId& from, const Message& message, Instant now) {
  if (from == self_) return;
  if (const auto* m = std::get_if<Gossip>(&message)) return on_gossip(from, *m, now);
  if (const auto* m = std::get_if<IHave>(&message)) return on_ihave(from, *m, now);
  if (const auto* m = std::get_if<Graft>(&message)) return on_graft(from, *m);
  if (std::holds_alternative<Prune>(message)) {
    const auto it = peers_.find(from);
    if (it == peers_.end()) return count(BroadcastAnomaly::kNotANeighbor);
    it->second.eager = false;
  }
}

void Plumtree::on_gossip(const PeerId& from, const Gossip& m, Instant now) {
  std::span<const GossipItem> items = m.items;
  if (items.size() > config_.max_gossip_items) {
    count(BroadcastAnomaly::kItemsClipped);
    items = items.first(config_.max_gossip_items);
  }
  bool any_new = false;
  bool any_duplicate = false;
  for (const auto& item : items) {
    if (received_.contains(item.id)) {
      any_duplicate = true;
      ++stats_.duplicates;
      continue;
    }
    any_new = true;
    accept(item, from, now);
  }
  // A sender that brought something new is on a useful path; one that only repeated what
  // we had is a redundant link of the tree: prune it (it stays a lazy neighbour).
  const auto it = peers_.find(from);
  if (it == peers_.end()) return;
  if (any_new) {
    it->second.eager = true;
  } else if (any_duplicate && it->second.eager) {
    it->second.eager = false;
    it->second.prune_out = true;
  }
}

void Plumtree::accept(const GossipItem& item, const PeerId& from, Instant now) {
  received_.insert(item.id, now);
  missing_.erase(item.id);
  ++stats_.delivered;
  actions_.emplace_back(Deliver{item.id, item.payload, item.round});
  GossipItem next = item;
  if (next.round < std::numeric_limits<std::uint16_t>::max()) ++next.round;
  push(next, from);
  store_.put(item, now);
}

void Plumtree::push(const GossipItem& item, const PeerId& except) {
  for (auto& [peer_id, peer] : peers_) {
    if (peer_id == except) continue;
    if (peer.eager) {
      queue_payload(peer, item);
    } else {
      queue_announcement(peer, Announcement{item.id, item.round, item.urgent});
    }
  }
}

void Plumtree::queue_payload(PeerState& peer, GossipItem item) {
  if (peer.eager_out.size() < config_.max_queued_per_peer) {
    peer.prompt = peer.prompt || item.urgent;
    peer.eager_out.push_back(std::move(item));
    return;
  }
  count(BroadcastAnomaly::kQueueFull);
  queue_announcement(peer, Announcement{item.id, item.round, item.urgent});  // it can still Graft it
}

void Plumtree::queue_announcement(PeerState& peer, Announcement a) {
  if (peer.lazy_out.size() >= config_.max_queued_per_peer) return count(BroadcastAnomaly::kQueueFull);
  peer.prompt = peer.prompt || a.urgent;
  peer.lazy_out.push_back(a);
}

void Plumtree::on_ihave(const PeerId& from, const IHave& m, Instant now) {
  if (!peers_.contains(from)) return count(BroadcastAnomaly::kNotANeighbor);
  std::span<const Announcement> ids = m.ids;
  if (ids.size() > config_.max_ids_per_message) {
    count(BroadcastAnomaly::kItemsClipped);
    ids = ids.first(config_.max_ids_per_message);
  }
  for (const auto& a : ids) {
    if (received_.contains(a.id)) continue;
    auto it = missing_.find(a.id);
    if (it == missing_.end()) {
      if (missing_.size() >= config_.max_missing_ids) {
        count(BroadcastAnomaly::kMissingTableFull);
        continue;
      }
      it = missing_.emplace(a.id, Missing{now + config_.batched_graft_timeout, {}}).first;
    }
    if (a.urgent) it->second.deadline = std::min(it->second.deadline, now + config_.graft_timeout);
    auto& announcers = it->second.announcers;
    const bool known = std::any_of(announcers.begin(), announcers.end(),
                                   [&](const auto& entry) { return entry.first == from; });
    if (!known && announcers.size() < config_.max_announcers_per_id) announcers.emplace_back(from, a.round);
  }
}

void Plumtree::on_graft(const PeerId& from, const Graft& m) {
  const auto it = peers_.find(from);
  if (it == peers_.end()) return count(BroadcastAnomaly::kNotANeighbor);
  it->second.eager = true;
  it->second.prompt = true;  // the grafting peer is waiting: answer at the next tick
  std::span<const MessageId> ids = m.ids;
  if (ids.size() > config_.max_ids_per_message) {
    count(BroadcastAnomaly::kItemsClipped);
    ids = ids.first(config_.max_ids_per_message);
  }
  for (const auto& id : ids) {
    const GossipItem* stored = store_.get(id);
    if (stored == nullptr) {
      count(BroadcastAnomaly::kGraftUnknown);
      continue;
    }
    queue_payload(it->second, *stored);
  }
}

void Plumtree::tick(Instant now) {
  received_.expire(now);
  store_.expire(now);
  request_missing(now);
  flush(now);
}

void Plumtree::request_missing(Instant now) {
  for (auto it = missing_.begin(); it != missing_.end();) {
    Missing& missing = it->second;
    if (missing.deadline > now) {
      ++it;
      continue;
    }
    // Ask the earliest announcer still connected; it joins our eager set (the tree repair).
    PeerState* target = nullptr;
    while (!missing.announcers.empty() && target == nullptr) {
      const auto found = peers_.find(missing.announcers.front().first);
      missing.announcers.erase(missing.announcers.begin());
      if (found != peers_.end()) target = &found->second;
    }
    if (target == nullptr) {
      it = missing_.erase(it);  // no one left to ask; a later IHave starts over
      continue;
    }
    target->eager = true;
    if (target->graft_out.size() < config_.max_ids_per_message) target->graft_out.push_back(it->first);
    ++stats_.grafts_sent;
    missing.deadline = now + config_.graft_retry_timeout;
    ++it;
  }
}

void Plumtree::flush(Instant now) {
  for (auto& [peer_id, peer] : peers_) {
    if (peer.prune_out) {
      actions_.emplace_back(Send{peer.addr, Prune{}});
      ++stats_.prunes_sent;
      peer.prune_out = false;
    }
    if (!peer.graft_out.empty()) {
      actions_.emplace_back(Send{peer.addr, Graft{std::exchange(peer.graft_out, {})}});
    }
    if (peer.eager_out.empty() && peer.lazy_out.empty()) continue;
    if (!peer.prompt && peer.last_payload_send && now - *peer.last_payload_send < config_.send_interval) {
      continue;
    }
    peer.last_payload_send = now;
    if (!peer.eager_out.empty()) {
      // One Gossip per flush, within the item and byte bounds; the rest waits for the next.
      std::size_t n = 0;
      std::size_t bytes = 0;
      while (n < peer.eager_out.size() && n < config_.max_gossip_items &&
             (n == 0 || bytes + peer.eager_out[n].payload.size() <= config_.max_gossip_bytes)) {
        bytes += peer.eager_out[n].payload.size();
        ++n;
      }
      Gossip gossip;
      gossip.items.assign(std::make_move_iterator(peer.eager_out.begin()),
                          std::make_move_iterator(peer.eager_out.begin() + static_cast<std::ptrdiff_t>(n)));
      peer.eager_out.erase(peer.eager_out.begin(), peer.eager_out.begin() + static_cast<std::ptrdiff_t>(n));
      actions_.emplace_back(Send{peer.addr, std::move(gossip)});
    }
    if (!peer.lazy_out.empty()) {
      const std::size_t n = std::min(peer.lazy_out.size(), config_.max_ids_per_message);
      IHave ihave;
      ihave.ids.assign(peer.lazy_out.begin(), peer.lazy_out.begin() + static_cast<std::ptrdiff_t>(n));
      peer.lazy_out.erase(peer.lazy_out.begin(), peer.lazy_out.begin() + static_cast<std::ptrdiff_t>(n));
      actions_.emplace_back(Send{peer.addr, std::move(ihave)});
    }
    // Whatever did not fit waits for the next interval unless it is urgent itself.
    peer.prompt = std::any_of(peer.eager_out.begin(), peer.eager_out.end(), [](const auto& i) { return i.urgent; }) ||
                  std::any_of(peer.lazy_out.begin(), peer.lazy_out.end(), [](const auto& a) { return a.urgent; });
  }
}

}  // namespace mosaik::discovery::gossip
