#include "gossip_sim.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <cstdlib>
#include <stdexcept>

namespace mosaik::discovery::gossip::sim {

GossipSim::GossipSim(SimOptions options) : options_(options), rng_(options.seed) {
  addrs_.reserve(options_.nodes);
  nodes_.reserve(options_.nodes);
  for (std::size_t i = 0; i < options_.nodes; ++i) {
    const PeerId id = SecretKey::from_seed(fmt::format("gossip-sim-{}", i)).public_key();
    addrs_.emplace_back(id, std::set<SocketAddr>{SocketAddr(asio::ip::make_address("127.0.0.1"),
                                                            static_cast<std::uint16_t>(10'000 + i))});
    nodes_.emplace_back(addrs_.back(), options_.config, rng_());
    index_.emplace(id, i);
    alive_.push_back(true);
    std::uniform_int_distribution<std::int64_t> phase(0, options_.tick.count() - 1);
    schedule(Instant(phase(rng_)), TickNode{i});
  }
}

void GossipSim::schedule(Instant at, Event e) {
  events_.emplace(next_seq_, std::move(e));
  queue_.push(Scheduled{at, next_seq_++});
}

void GossipSim::join_all_through_node0(Instant stagger) {
  for (std::size_t i = 1; i < nodes_.size(); ++i) {
    schedule(now_ + stagger * static_cast<std::int64_t>(i), JoinNode{i});
  }
}

void GossipSim::start_announcing(Instant interval, std::size_t payload_bytes) {
  announce_interval_ = interval;
  payload_bytes_ = payload_bytes;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    std::uniform_int_distribution<std::int64_t> phase(0, interval.count() - 1);
    schedule(now_ + Instant(phase(rng_)), Announce{i});
  }
}

void GossipSim::run_until(Instant t) {
  // Bounded: every event is at or after now_, and the queue holds finitely many per node
  // and tick (each handler schedules at most a bounded number of successors).
  while (!queue_.empty() && queue_.top().at <= t) {
    const Scheduled s = queue_.top();
    queue_.pop();
    now_ = s.at;
    auto node = events_.extract(s.seq);
    dispatch(node.mapped());
  }
  now_ = t;
}

void GossipSim::dispatch(Event& e) {
  if (auto* m = std::get_if<Transmit>(&e)) {
    if (!alive_[m->to] || !alive_[m->from]) return;
    ++received_messages_;
    auto& node = nodes_[m->to];
    const PeerId& from = addrs_[m->from].id;
    const auto handled = std::holds_alternative<wire::Bytes>(m->content)
                             ? node.receive(from, std::get<wire::Bytes>(m->content), now_)
                             : node.handle(from, std::get<Message>(m->content), now_);
    if (!handled) return;  // counted by the node
    return carry_out(m->to);
  }
  if (auto* d = std::get_if<PeerDown>(&e)) {
    if (!alive_[d->at]) return;
    nodes_[d->at].peer_down(d->peer, now_);
    return carry_out(d->at);
  }
  if (auto* t = std::get_if<TickNode>(&e)) {
    if (!alive_[t->node]) return;
    nodes_[t->node].tick(now_);
    carry_out(t->node);
    return schedule(now_ + options_.tick, TickNode{t->node});
  }
  if (auto* j = std::get_if<JoinNode>(&e)) {
    if (!alive_[j->node]) return;
    const std::vector<EndpointAddr> contacts{addrs_[0]};
    nodes_[j->node].join(contacts, now_);
    return carry_out(j->node);
  }
  if (auto* a = std::get_if<Announce>(&e)) {
    if (!alive_[a->node]) return;
    const MessageId id = broadcast_from(a->node, /*urgent=*/false);  // periodic refresh
    announced_.push_back({now_, {a->node, id}});
    return schedule(now_ + announce_interval_, Announce{a->node});
  }
}

MessageId GossipSim::broadcast_from(std::size_t node, bool urgent) {
  // Unique payloads (the sequence number in the first 8 bytes), and ids derived from them
  // as receivers require.
  const std::uint64_t seq = announce_seq_++;
  wire::Bytes payload(std::max<std::size_t>(payload_bytes_, 8), static_cast<std::uint8_t>(seq));
  for (std::size_t i = 0; i < 8; ++i) payload[i] = static_cast<std::uint8_t>(seq >> (8 * i));
  const MessageId id = Digest::hash(payload);
  auto& counts = deliveries_[id];
  counts.resize(nodes_.size());
  ++counts[node];
  spread_[id] = {now_, now_};
  if (!nodes_[node].broadcast(id, std::move(payload), now_, urgent)) throw std::logic_error("fresh id refused");
  carry_out(node);
  return id;
}

void GossipSim::carry_out(std::size_t node) {
  for (auto& action : nodes_[node].take_actions()) {
    if (auto* send = std::get_if<Send>(&action)) {
      const std::size_t to = index_of(send->to.id);
      ++sent_by_kind_[send->message.index()];
      if (!alive_[to]) {
        // The dial or the stream fails; the shell reports it after its detection delay.
        schedule(now_ + options_.failure_detection, PeerDown{node, send->to.id});
        continue;
      }
      if (std::bernoulli_distribution(options_.loss)(rng_)) {
        // A QUIC stream loses nothing unless its connection fails, and the shell reports a
        // failed connection on both ends (after its detection delay).
        schedule(now_ + options_.failure_detection, PeerDown{node, send->to.id});
        schedule(now_ + options_.failure_detection, PeerDown{to, addrs_[node].id});
        continue;
      }
      std::uniform_int_distribution<std::int64_t> delay(options_.min_delay.count(), options_.max_delay.count());
      Instant at = now_ + Instant(delay(rng_));
      auto& clear = link_clear_[{node, to}];
      at = std::max(at, clear);
      clear = at;
      if (options_.through_codec) {
        schedule(at, Transmit{node, to, encode_message(send->message)});
      } else {
        schedule(at, Transmit{node, to, std::move(send->message)});
      }
    } else if (auto* deliver = std::get_if<Deliver>(&action)) {
      auto& counts = deliveries_[deliver->id];
      counts.resize(nodes_.size());
      ++counts[node];
      spread_[deliver->id].second = now_;
      auto& round = max_round_[deliver->id];
      round = std::max(round, deliver->round);
    }
    // Connect / Close: the active view itself is what the checks read.
  }
}

void GossipSim::kill(std::size_t node) {
  alive_[node] = false;
  const PeerId dead = addrs_[node].id;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (alive_[i] && nodes_[i].membership().active_view().contains(dead)) {
      schedule(now_ + options_.failure_detection, PeerDown{i, dead});
    }
  }
}

std::size_t GossipSim::alive_count() const { return static_cast<std::size_t>(std::count(alive_.begin(), alive_.end(), true)); }

std::size_t GossipSim::reached(const MessageId& id) const {
  const auto it = deliveries_.find(id);
  if (it == deliveries_.end()) return 0;
  std::size_t n = 0;
  for (std::size_t i = 0; i < nodes_.size(); ++i) n += (alive_[i] && it->second[i] > 0) ? 1 : 0;
  return n;
}

std::uint32_t GossipSim::max_deliveries(const MessageId& id) const {
  const auto it = deliveries_.find(id);
  if (it == deliveries_.end()) return 0;
  return *std::max_element(it->second.begin(), it->second.end());
}

bool GossipSim::all_announces_reached_all(Instant from, Instant to) const {
  const std::size_t live = alive_count();
  for (const auto& [at, origin_id] : announced_) {
    if (at < from || at >= to || !alive_[origin_id.first]) continue;
    if (reached(origin_id.second) != live) {
      if (std::getenv("SIM_DEBUG")) {
        fmt::print("announce from {} at {} reached {}/{}\n", origin_id.first, at.count(), reached(origin_id.second), live);
        const auto& counts = deliveries_.at(origin_id.second);
        for (std::size_t i = 0; i < nodes_.size(); ++i) {
          if (!alive_[i] || counts[i] > 0) continue;
          const auto& n = nodes_[i];
          fmt::print("  missed by {}: awaiting {} received {} active", i, n.tree().awaiting(origin_id.second),
                     n.tree().has_received(origin_id.second));
          for (const auto& [id, addr] : n.membership().active_view()) {
            const std::size_t j = index_of(id);
            fmt::print(" {}{}{}", j, n.tree().is_eager(id) ? "e" : "l",
                       nodes_[j].membership().active_view().contains(addrs_[i].id) ? "" : "(one-way)");
          }
          fmt::print("\n");
        }
        for (std::size_t a = 0; a < static_cast<std::size_t>(BroadcastAnomaly::kCount); ++a) {
          std::uint64_t total = 0;
          for (const auto& n : nodes_) total += n.tree().anomalies(static_cast<BroadcastAnomaly>(a));
          fmt::print("  anomaly {}: {}\n", to_string(static_cast<BroadcastAnomaly>(a)), total);
        }
        continue;
      }
      return false;
    }
  }
  return true;
}

Instant GossipSim::max_spread_time(Instant from, Instant to) const {
  Instant longest{0};
  for (const auto& [at, origin_id] : announced_) {
    if (at < from || at >= to) continue;
    const auto& [start, last] = spread_.at(origin_id.second);
    longest = std::max(longest, last - start);
  }
  return longest;
}

std::size_t GossipSim::max_active_view() const {
  std::size_t m = 0;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (alive_[i]) m = std::max(m, nodes_[i].membership().active_view().size());
  }
  return m;
}

bool GossipSim::overlay_connected() const {
  const auto first = std::find(alive_.begin(), alive_.end(), true);
  if (first == alive_.end()) return true;
  const auto start = static_cast<std::size_t>(first - alive_.begin());
  // Forward and backward reachability from one live node: strongly connected iff both cover all.
  std::vector<std::vector<std::size_t>> forward(nodes_.size()), backward(nodes_.size());
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (!alive_[i]) continue;
    for (const auto& [id, addr] : nodes_[i].membership().active_view()) {
      const std::size_t j = index_of(id);
      if (!alive_[j]) continue;
      forward[i].push_back(j);
      backward[j].push_back(i);
    }
  }
  const auto covers_all = [&](const std::vector<std::vector<std::size_t>>& edges) {
    std::vector<bool> seen(nodes_.size(), false);
    std::deque<std::size_t> todo{start};
    seen[start] = true;
    while (!todo.empty()) {
      const std::size_t n = todo.front();
      todo.pop_front();
      for (const std::size_t m : edges[n]) {
        if (!seen[m]) {
          seen[m] = true;
          todo.push_back(m);
        }
      }
    }
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (alive_[i] && !seen[i]) return false;
    }
    return true;
  };
  return covers_all(forward) && covers_all(backward);
}

std::uint64_t GossipSim::duplicates() const {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (alive_[i]) total += nodes_[i].tree().stats().duplicates;
  }
  return total;
}

std::uint64_t GossipSim::codec_rejections() const {
  std::uint64_t total = 0;
  for (const auto& n : nodes_) total += n.rejections().total();
  return total;
}

}  // namespace mosaik::discovery::gossip::sim

namespace mosaik::discovery::gossip::sim {

std::string GossipSim::describe_views() const {
  std::string out;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (!alive_[i]) continue;
    const auto& view = nodes_[i].membership();
    out += fmt::format("node {}: active {} passive {} ->", i, view.active_view().size(), view.passive_view().size());
    for (const auto& [id, addr] : view.active_view()) {
      const std::size_t j = index_of(id);
      const bool symmetric = alive_[j] && nodes_[j].membership().active_view().contains(addrs_[i].id);
      out += fmt::format(" {}{}{}", j, alive_[j] ? "" : "(dead)", symmetric ? "" : "(one-way)");
    }
    out += "\n";
  }
  return out;
}

}  // namespace mosaik::discovery::gossip::sim
