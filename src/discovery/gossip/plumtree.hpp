#pragma once
// Plumtree epidemic broadcast trees (Leitão, Pereira, Rodrigues 2007), sans-IO, over the
// neighbours the membership layer provides. Each neighbour is *eager* (payloads are pushed
// to it) or *lazy* (it only hears the ids, in IHave). A duplicate payload prunes its
// sender to lazy, so the eager links settle into a spanning tree; an id announced lazily
// but not received within graft_timeout is GRAFTed, which repairs the tree.
//
// Batching: payloads and announcements queue per neighbour. Urgent ones (and Graft
// answers) leave at the next tick with everything queued beside them; otherwise a
// neighbour gets at most one Gossip and one IHave per send_interval, carrying all that
// queued meanwhile. Graft and Prune leave at the next tick (rare once the tree settles).
// With only batched traffic a node thus receives at most active_view_size * 2 /
// send_interval payload-carrying messages per second whatever N is; at a per-link payload
// rate r a link carries about 1 / (send_interval + 1 / r) messages per second, which grows
// with N only until it meets that bound.
//
//   Plumtree tree(self_id, PlumtreeConfig{});
//   tree.neighbor_up(addr);  tree.broadcast(id, payload, now);  tree.tick(now);
//   for (auto& a : tree.take_actions()) shell(a);   // Send / Deliver

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "actions.hpp"
#include "instant.hpp"
#include "message_store.hpp"
#include "received_cache.hpp"

namespace mosaik::discovery::gossip {

using namespace std::chrono_literals;

struct PlumtreeConfig {
  Instant send_interval = 2s;          // batched traffic: least time between sends to one neighbour
  Instant graft_timeout = 1s;          // urgent id announced but not received this long: Graft
  Instant batched_graft_timeout = 6s;  // same for a batched id (its eager path waits send_interval per hop)
  Instant graft_retry_timeout = 1s;    // after each Graft, before asking the next announcer
  std::size_t max_received_ids = 65'536;
  Instant received_ttl = 300s;      // ids remembered this long to suppress duplicates
  MessageStoreLimits store{};       // payloads kept to answer Grafts
  std::size_t max_missing_ids = 4096;
  std::size_t max_announcers_per_id = 4;
  std::size_t max_queued_per_peer = 1024;  // payloads (and separately ids) awaiting a flush
  std::size_t max_gossip_items = 256;      // per Gossip message (WireLimits::max_gossip_items)
  std::size_t max_gossip_bytes = 3 * 1024 * 1024;  // payload bytes per Gossip message
  std::size_t max_ids_per_message = 1024;          // per IHave / Graft (WireLimits::max_ids)
  // A new neighbour is sent what we received this recently: broadcasts made while it was
  // not yet in the tree, or queued for a neighbour that left before they were sent, still
  // reach it (what it already has counts as duplicates).
  Instant catch_up_window = 10s;
};

enum class BroadcastAnomaly : std::uint8_t {
  kNotANeighbor,     // IHave/Graft/Prune from a peer outside the active view: ignored
  kItemsClipped,     // more items or ids than the configured per-message bounds
  kGraftUnknown,     // a Graft for a payload we no longer hold
  kQueueFull,        // a neighbour's queue was full: payload downgraded to an IHave or dropped
  kMissingTableFull, // too many ids awaited at once: the announcement is dropped
  kCount
};
[[nodiscard]] std::string_view to_string(BroadcastAnomaly a);

struct BroadcastStats {
  std::uint64_t delivered = 0;   // payloads received for the first time
  std::uint64_t duplicates = 0;  // payloads received again
  std::uint64_t grafts_sent = 0; // ids requested after a timeout
  std::uint64_t prunes_sent = 0;
};

class Plumtree {
 public:
  Plumtree(PeerId self, PlumtreeConfig config);

  // A new neighbour starts eager and is sent the payloads of the last catch_up_window.
  void neighbor_up(const EndpointAddr& peer, Instant now);
  void neighbor_down(const PeerId& peer);

  // Starts a broadcast; false (and nothing sent) when `id` was already seen.
  bool broadcast(const MessageId& id, wire::Bytes payload, Instant now, bool urgent);

  // Gossip, IHave, Graft or Prune from `from`; membership messages are ignored here.
  void handle(const PeerId& from, const Message& message, Instant now);

  // Flushes queues when due, sends Grafts for timed-out ids, ages the caches.
  void tick(Instant now);

  [[nodiscard]] Actions take_actions();

  bool is_eager(const PeerId& peer) const;
  bool is_lazy(const PeerId& peer) const;
  // Announced to us but not yet received (a Graft timer is running for it).
  bool awaiting(const MessageId& id) const { return missing_.contains(id); }
  bool has_received(const MessageId& id) const { return received_.contains(id); }
  std::size_t neighbor_count() const { return peers_.size(); }
  const BroadcastStats& stats() const { return stats_; }
  std::uint64_t anomalies(BroadcastAnomaly a) const { return anomalies_[static_cast<std::size_t>(a)]; }

 private:
  struct PeerState {
    EndpointAddr addr;
    bool eager = true;
    std::vector<GossipItem> eager_out;
    std::vector<Announcement> lazy_out;
    std::vector<MessageId> graft_out;
    bool prune_out = false;
    bool prompt = false;                       // something queued must leave at the next tick
    std::optional<Instant> last_payload_send;  // last Gossip or IHave sent to it
  };
  struct Missing {
    Instant deadline;
    std::vector<std::pair<PeerId, std::uint16_t>> announcers;  // in arrival order
  };

  void on_gossip(const PeerId& from, const Gossip& m, Instant now);
  void on_ihave(const PeerId& from, const IHave& m, Instant now);
  void on_graft(const PeerId& from, const Graft& m);
  void accept(const GossipItem& item, const PeerId& from, Instant now);
  void push(const GossipItem& item, const PeerId& except);
  void queue_payload(PeerState& peer, GossipItem item);
  void queue_announcement(PeerState& peer, Announcement a);
  void request_missing(Instant now);
  void flush(Instant now);
  void count(BroadcastAnomaly a) { ++anomalies_[static_cast<std::size_t>(a)]; }

  PeerId self_;
  PlumtreeConfig config_;
  std::map<PeerId, PeerState> peers_;
  ReceivedCache received_;
  MessageStore store_;
  std::map<MessageId, Missing> missing_;
  Actions actions_;
  BroadcastStats stats_;
  std::array<std::uint64_t, static_cast<std::size_t>(BroadcastAnomaly::kCount)> anomalies_{};
};

}  // namespace mosaik::discovery::gossip
