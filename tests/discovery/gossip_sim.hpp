#pragma once
// A deterministic in-memory network for the gossip cores: N GossipNodes, virtual time, one
// seeded RNG for every choice (delays, loss, tick phases, node seeds). Messages travel as
// encoded bytes through the real codec, FIFO per (sender, receiver) pair like a QUIC
// stream, with a random delay and an optional loss probability. A killed node stops; the
// shell's failure detection is modelled by reporting peer_down to its neighbours (and to
// anyone who later sends to it) after `failure_detection`. SIM_SEED=n replays a seed;
// SIM_DEBUG=1 lists, for an announce that missed nodes, who missed it and their views.
//
//   GossipSim sim({.nodes = 64, .seed = 7});
//   sim.join_all_through_node0(50ms);  sim.run_until(10s);
//   EXPECT_TRUE(sim.overlay_connected());

#include <array>
#include <cstdint>
#include <map>
#include <queue>
#include <random>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "gossip/gossip_node.hpp"

namespace mosaik::discovery::gossip::sim {

using namespace std::chrono_literals;

struct SimOptions {
  std::size_t nodes = 16;
  std::uint64_t seed = 1;
  // Probability that one message is lost; its link is then reported down on both ends, as
  // the shell does when a connection fails with messages in flight.
  double loss = 0.0;
  Instant min_delay = 2ms;
  Instant max_delay = 20ms;
  Instant tick = 100ms;
  Instant failure_detection = 1s;
  // Messages travel encoded and are decoded by the receiver (the real codec). Off, they are
  // handed over in memory (still checked against the wire limits): decoding verifies every
  // PeerId as an Ed25519 point, which dominates large runs.
  bool through_codec = true;
  GossipConfig config{};
};

class GossipSim {
 public:
  explicit GossipSim(SimOptions options);

  // Node i joins at i * stagger, each with node 0 as its only contact.
  void join_all_through_node0(Instant stagger);
  // From `from` on, every live node broadcasts one payload per `interval` (random phase).
  void start_announcing(Instant interval, std::size_t payload_bytes);
  void run_until(Instant t);
  void kill(std::size_t node);
  // Broadcasts from `node` now; returns the id.
  MessageId broadcast_from(std::size_t node, bool urgent);
  // The most hops `id` travelled to a node that delivered it (its broadcaster's round is 0).
  std::uint16_t max_round(const MessageId& id) const {
    const auto it = max_round_.find(id);
    return it == max_round_.end() ? 0 : it->second;
  }
  // Time from the broadcast of `id` to its latest delivery so far.
  Instant spread_time(const MessageId& id) const { return spread_.at(id).second - spread_.at(id).first; }

  Instant now() const { return now_; }
  std::size_t size() const { return nodes_.size(); }
  bool alive(std::size_t node) const { return alive_[node]; }
  std::size_t alive_count() const;
  const GossipNode& node(std::size_t i) const { return nodes_[i]; }

  // Live nodes that delivered (or originated) `id`, and the most times one node delivered it.
  std::size_t reached(const MessageId& id) const;
  std::uint32_t max_deliveries(const MessageId& id) const;
  // Every live node has delivered every id broadcast by a live node in [from, to).
  bool all_announces_reached_all(Instant from, Instant to) const;
  // Longest time from an announce (made in [from, to)) to its last delivery.
  Instant max_spread_time(Instant from, Instant to) const;
  std::size_t max_active_view() const;
  // Strongly connected over active-view edges between live nodes.
  bool overlay_connected() const;
  // Active and passive view sizes of every live node, with asymmetric links, for failures.
  std::string describe_views() const;
  std::uint64_t duplicates() const;      // payload duplicates received, all live nodes
  std::uint64_t codec_rejections() const;

  // Messages received by live nodes since the last reset.
  void reset_message_count() { received_messages_ = 0; }
  std::uint64_t received_messages() const { return received_messages_; }
  // Messages sent per kind (index of the Message alternative), for reports.
  const std::array<std::uint64_t, std::variant_size_v<Message>>& sent_by_kind() const { return sent_by_kind_; }

 private:
  struct Transmit {
    std::size_t from, to;
    std::variant<wire::Bytes, Message> content;
  };
  struct PeerDown {
    std::size_t at;
    PeerId peer;
  };
  struct TickNode {
    std::size_t node;
  };
  struct JoinNode {
    std::size_t node;
  };
  struct Announce {
    std::size_t node;
  };
  using Event = std::variant<Transmit, PeerDown, TickNode, JoinNode, Announce>;
  // The heap holds only (time, seq); events live beside it (GCC 12 warns falsely when a
  // heap moves variants around).
  struct Scheduled {
    Instant at;
    std::uint64_t seq;
    bool operator>(const Scheduled& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  void schedule(Instant at, Event e);
  void dispatch(Event& e);
  void carry_out(std::size_t node);
  std::size_t index_of(const PeerId& id) const { return index_.at(id); }

  SimOptions options_;
  std::mt19937_64 rng_;
  std::vector<EndpointAddr> addrs_;
  std::vector<GossipNode> nodes_;
  std::vector<bool> alive_;
  std::map<PeerId, std::size_t> index_;
  std::priority_queue<Scheduled, std::vector<Scheduled>, std::greater<>> queue_;
  std::unordered_map<std::uint64_t, Event> events_;
  std::uint64_t next_seq_ = 0;
  Instant now_{0};
  std::map<std::pair<std::size_t, std::size_t>, Instant> link_clear_;  // FIFO per pair
  std::map<MessageId, std::vector<std::uint32_t>> deliveries_;         // per node
  std::map<MessageId, std::pair<Instant, Instant>> spread_;            // broadcast, last delivery
  std::map<MessageId, std::uint16_t> max_round_;
  std::vector<std::pair<Instant, std::pair<std::size_t, MessageId>>> announced_;
  Instant announce_interval_{0};
  std::size_t payload_bytes_ = 0;
  std::uint64_t announce_seq_ = 0;
  std::uint64_t received_messages_ = 0;
  std::array<std::uint64_t, std::variant_size_v<Message>> sent_by_kind_{};
};

}  // namespace mosaik::discovery::gossip::sim
