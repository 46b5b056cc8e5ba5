#include "hyparview.hpp"

#include <algorithm>
#include <iterator>

namespace mosaik::discovery::gossip {

std::string_view to_string(MembershipAnomaly a) {
  switch (a) {
    case MembershipAnomaly::kSenderMismatch:
      return "sender does not match the authenticated peer";
    case MembershipAnomaly::kTtlClipped:
      return "walk length clipped to ARWL";
    case MembershipAnomaly::kPeersClipped:
      return "shuffle entries clipped";
    case MembershipAnomaly::kUnsolicitedShuffleReply:
      return "shuffle reply without a shuffle";
    case MembershipAnomaly::kCount:
      break;
  }
  return "unknown membership anomaly";
}

HyParView::HyParView(EndpointAddr self, HyParViewConfig config, std::uint64_t rng_seed)
    : self_(std::move(self)), config_(config), rng_(rng_seed), refill_backoff_(config.refill_backoff_min) {}

Actions HyParView::take_actions() { return std::exchange(actions_, {}); }

void HyParView::send(const EndpointAddr& to, Message message) {
  actions_.emplace_back(Send{to, std::move(message)});
}

bool HyParView::sender_matches(const PeerId& from, const EndpointAddr& claimed) {
  if (claimed.id == from) return true;
  count(MembershipAnomaly::kSenderMismatch);
  return false;
}

void HyParView::join(std::span<const EndpointAddr> contacts, Instant now) {
  contacts_.clear();
  for (const auto& c : contacts) {
    if (c.id != self_.id) contacts_.push_back(c);
  }
  if (contacts_.empty()) return;  // the first node of a network has no one to join
  // The contact answers with a high-priority Neighbor, which makes it our first neighbour;
  // until then we are isolated and tick() retries (next contact) after join_retry_interval.
  const EndpointAddr contact = contacts_[next_contact_++ % contacts_.size()];
  send(contact, Join{self_});
  next_join_ = now + config_.join_retry_interval;
}

void HyParView::learn(const EndpointAddr& peer, Instant now) {
  if (peer.id == self_.id || active_.contains(peer.id)) return;
  add_passive(peer);
  // A node with contacts has a Join in flight; tick() repairs from the passive view anyway.
  if (active_.empty() && contacts_.empty()) fill_active_view(now);
}

void HyParView::handle(const PeerId& from, const Message& message, Instant now) {
  if (from == self_.id) return;
  std::visit(
      [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, Join>) on_join(from, m);
        else if constexpr (std::is_same_v<M, ForwardJoin>) on_forward_join(from, m);
        else if constexpr (std::is_same_v<M, Neighbor>) on_neighbor(from, m);
        else if constexpr (std::is_same_v<M, NeighborReply>) on_neighbor_reply(from, m, now);
        else if constexpr (std::is_same_v<M, Disconnect>) on_disconnect(from);
        else if constexpr (std::is_same_v<M, Shuffle>) on_shuffle(from, m);
        else if constexpr (std::is_same_v<M, ShuffleReply>) on_shuffle_reply(m);
      },
      message);
}

// --- protocol steps (section 4 of the paper) ---------------------------------------------

void HyParView::on_join(const PeerId& from, const Join& m) {
  if (!sender_matches(from, m.sender)) return;
  add_active(m.sender);
  send(m.sender, Neighbor{self_, /*high_priority=*/true});
  for (const auto& [id, addr] : active_) {
    if (id != from) send(addr, ForwardJoin{m.sender, config_.active_random_walk_length});
  }
}

void HyParView::on_forward_join(const PeerId& from, const ForwardJoin& m) {
  if (m.new_node.id == self_.id) return;
  std::uint8_t ttl = m.ttl;
  if (ttl > config_.active_random_walk_length) {
    count(MembershipAnomaly::kTtlClipped);
    ttl = config_.active_random_walk_length;
  }
  const auto accept = [&] {
    if (active_.contains(m.new_node.id)) return;
    add_active(m.new_node);
    send(m.new_node, Neighbor{self_, /*high_priority=*/true});
  };
  if (ttl == 0 || active_.size() <= 1) return accept();
  if (ttl == config_.passive_random_walk_length) add_passive(m.new_node);
  const std::array<PeerId, 2> except{from, m.new_node.id};
  const auto next = random_member(active_, except);
  if (!next) return accept();
  send(*next, ForwardJoin{m.new_node, static_cast<std::uint8_t>(ttl - 1)});
}

void HyParView::on_neighbor(const PeerId& from, const Neighbor& m) {
  if (!sender_matches(from, m.sender)) return;
  const bool accepted = active_.contains(from) || m.high_priority || active_.size() < config_.active_view_size;
  if (accepted) {
    add_active(m.sender);
  } else {
    add_passive(m.sender);
  }
  send(m.sender, NeighborReply{self_, accepted});
}

void HyParView::on_neighbor_reply(const PeerId& from, const NeighborReply& m, Instant now) {
  if (!sender_matches(from, m.sender)) return;
  const bool was_pending = pending_neighbors_.erase(from) > 0;
  if (was_pending) {
    if (m.accepted) {
      refill_backoff_ = config_.refill_backoff_min;
      next_refill_ = now;
    } else {
      next_refill_ = now + refill_backoff_;
      refill_backoff_ = std::min(refill_backoff_ * 2, config_.refill_backoff_max);
    }
  }
  if (m.accepted) {
    if (active_.contains(from)) return;
    if (was_pending || active_.size() < config_.active_view_size) {
      add_active(m.sender);
    } else {
      // A late acceptance we no longer have room for: tell it, so views stay symmetric.
      send(m.sender, Disconnect{});
      add_passive(m.sender);
    }
    return;
  }
  // Refused: it keeps its view. If it was in ours (it accepted earlier and changed its
  // mind, e.g. a join we completed), drop it so views stay symmetric.
  if (active_.contains(from)) remove_active(from, /*keep_in_passive=*/true);
  add_passive(m.sender);
}

void HyParView::on_disconnect(const PeerId& from) {
  if (active_.contains(from)) remove_active(from, /*keep_in_passive=*/true);
}

void HyParView::on_shuffle(const PeerId& from, const Shuffle& m) {
  if (m.origin.id == self_.id) return;
  std::uint8_t ttl = m.ttl;
  if (ttl > config_.active_random_walk_length) {
    count(MembershipAnomaly::kTtlClipped);
    ttl = config_.active_random_walk_length;
  }
  std::span<const EndpointAddr> peers = m.peers;
  if (peers.size() > config_.shuffle_size()) {
    count(MembershipAnomaly::kPeersClipped);
    peers = peers.first(config_.shuffle_size());
  }
  if (ttl > 1 && active_.size() > 1) {
    const std::array<PeerId, 2> except{from, m.origin.id};
    if (const auto next = random_member(active_, except)) {
      send(*next, Shuffle{m.origin, static_cast<std::uint8_t>(ttl - 1), {peers.begin(), peers.end()}});
      return;
    }
  }
  // The walk ends here: answer with as many of our passive peers, then keep theirs.
  std::vector<EndpointAddr> reply = random_sample(passive_, peers.size());
  send(m.origin, ShuffleReply{reply});
  std::vector<EndpointAddr> received(peers.begin(), peers.end());
  received.push_back(m.origin);
  integrate(received, reply);
}

void HyParView::on_shuffle_reply(const ShuffleReply& m) {
  if (!shuffle_sent_) {
    count(MembershipAnomaly::kUnsolicitedShuffleReply);
    return;
  }
  std::span<const EndpointAddr> peers = m.peers;
  if (peers.size() > config_.shuffle_size()) {
    count(MembershipAnomaly::kPeersClipped);
    peers = peers.first(config_.shuffle_size());
  }
  const std::vector<EndpointAddr> sent = std::move(*shuffle_sent_);
  shuffle_sent_.reset();
  integrate(peers, sent);
}

void HyParView::peer_down(const PeerId& peer, Instant now) {
  pending_neighbors_.erase(peer);
  refill_backoff_ = config_.refill_backoff_min;
  next_refill_ = now;
  if (active_.contains(peer)) remove_active(peer, /*keep_in_passive=*/false);
  passive_.erase(peer);  // unreachable: not a candidate for repair either
}

void HyParView::tick(Instant now) {
  for (auto it = pending_neighbors_.begin(); it != pending_neighbors_.end();) {
    if (it->second <= now) {
      passive_.erase(it->first);  // silent: treat as failed, try another at once
      next_refill_ = now;
      it = pending_neighbors_.erase(it);
    } else {
      ++it;
    }
  }
  fill_active_view(now);
  const bool isolated = active_.empty() && passive_.empty() && pending_neighbors_.empty();
  if (isolated && !contacts_.empty() && (!next_join_ || *next_join_ <= now)) {
    join(std::vector<EndpointAddr>(contacts_), now);
  }
  if (!next_shuffle_) {
    // Spread first shuffles over a whole interval so nodes started together do not align.
    std::uniform_int_distribution<std::int64_t> d(0, config_.shuffle_interval.count());
    next_shuffle_ = now + Instant(d(rng_));
  }
  if (*next_shuffle_ <= now) start_shuffle(now);
}

// --- view maintenance --------------------------------------------------------------------

void HyParView::fill_active_view(Instant now) {
  // Isolated: ask as many passive peers as there are free slots, with high priority.
  // Otherwise: one low-priority request at a time, paced by the refill backoff.
  const bool isolated = active_.empty();
  if (!isolated && (!pending_neighbors_.empty() || now < next_refill_)) return;
  // Bounded: each round adds one pending request, and pending + active <= active_view_size.
  while (active_.size() + pending_neighbors_.size() < config_.active_view_size) {
    std::vector<PeerId> except;
    except.reserve(pending_neighbors_.size());
    for (const auto& [id, deadline] : pending_neighbors_) except.push_back(id);
    const auto candidate = random_member(passive_, except);
    if (!candidate) return;
    send(*candidate, Neighbor{self_, /*high_priority=*/isolated});
    pending_neighbors_[candidate->id] = now + config_.neighbor_timeout;
    if (!isolated) return;
  }
}

void HyParView::start_shuffle(Instant now) {
  std::uniform_int_distribution<std::int64_t> jitter(-config_.shuffle_interval.count() / 4,
                                                     config_.shuffle_interval.count() / 4);
  next_shuffle_ = now + config_.shuffle_interval + Instant(jitter(rng_));
  const auto target = random_member(active_, {});
  if (!target) return;
  std::vector<EndpointAddr> peers{self_};
  for (auto& p : random_sample(active_, config_.shuffle_active_peers)) {
    if (p.id != target->id) peers.push_back(std::move(p));
  }
  for (auto& p : random_sample(passive_, config_.shuffle_passive_peers)) peers.push_back(std::move(p));
  shuffle_sent_ = peers;
  send(*target, Shuffle{self_, config_.active_random_walk_length, std::move(peers)});
}

void HyParView::add_active(const EndpointAddr& peer) {
  if (peer.id == self_.id) return;
  if (const auto it = active_.find(peer.id); it != active_.end()) {
    // A neighbour that speaks to us from new addresses restarted (same key, new port) or
    // moved: what we hold names its old process. Connect again, so the shell drops the
    // link to the old addresses. Callers pass addresses the peer itself just sent.
    if (it->second.direct_addresses != peer.direct_addresses) {
      it->second = peer;
      actions_.emplace_back(Connect{peer});
    }
    return;
  }
  passive_.erase(peer.id);
  pending_neighbors_.erase(peer.id);
  if (active_.size() >= config_.active_view_size) drop_random_active();
  active_.emplace(peer.id, peer);
  actions_.emplace_back(Connect{peer});
}

void HyParView::drop_random_active() {
  const auto victim = random_member(active_, {});
  if (!victim) return;
  send(*victim, Disconnect{});
  remove_active(victim->id, /*keep_in_passive=*/true);
}

void HyParView::remove_active(const PeerId& peer, bool keep_in_passive) {
  const auto it = active_.find(peer);
  if (it == active_.end()) return;
  const EndpointAddr addr = it->second;
  active_.erase(it);
  actions_.emplace_back(Close{peer});
  if (keep_in_passive) add_passive(addr);
}

void HyParView::add_passive(const EndpointAddr& peer) {
  if (peer.id == self_.id || active_.contains(peer.id)) return;
  if (const auto it = passive_.find(peer.id); it != passive_.end()) {
    it->second = peer;  // keep the freshest addresses
    return;
  }
  if (passive_.size() >= config_.passive_view_size) {
    const std::vector<PeerId> except(1, peer.id);
    if (const auto victim = random_member(passive_, except)) passive_.erase(victim->id);
  }
  if (passive_.size() < config_.passive_view_size) passive_.emplace(peer.id, peer);
}

void HyParView::integrate(std::span<const EndpointAddr> peers, std::span<const EndpointAddr> sent) {
  std::size_t next_sent = 0;
  for (const auto& p : peers) {
    if (p.id == self_.id || active_.contains(p.id)) continue;
    if (passive_.contains(p.id)) {
      passive_[p.id] = p;
      continue;
    }
    if (passive_.size() >= config_.passive_view_size) {
      // Make room by preference with entries we just sent away: the other side has them now.
      while (next_sent < sent.size() && !passive_.contains(sent[next_sent].id)) ++next_sent;
      if (next_sent < sent.size()) {
        passive_.erase(sent[next_sent++].id);
      } else if (const auto victim = random_member(passive_, {})) {
        passive_.erase(victim->id);
      }
    }
    passive_.emplace(p.id, p);
  }
}

std::optional<EndpointAddr> HyParView::random_member(const View& view, std::span<const PeerId> except) {
  std::vector<const EndpointAddr*> candidates;
  candidates.reserve(view.size());
  for (const auto& [id, addr] : view) {
    if (std::find(except.begin(), except.end(), id) == except.end()) candidates.push_back(&addr);
  }
  if (candidates.empty()) return std::nullopt;
  std::uniform_int_distribution<std::size_t> d(0, candidates.size() - 1);
  return *candidates[d(rng_)];
}

std::vector<EndpointAddr> HyParView::random_sample(const View& view, std::size_t n) {
  std::vector<EndpointAddr> all;
  all.reserve(view.size());
  for (const auto& [id, addr] : view) all.push_back(addr);
  std::shuffle(all.begin(), all.end(), rng_);
  if (all.size() > n) all.resize(n);
  return all;
}

}  // namespace mosaik::discovery::gossip
