#pragma once
// The announce protocol (/mosaik/announce): the I/O shell around the gossip cores
// (HyParView membership + Plumtree broadcast). It keeps one link per peer it talks to,
// feeds what arrives into the GossipNode, carries out the node's actions and hands
// delivered payloads to discovery. Links start with the sender's network id: a node of
// another network is closed with DifferentNetwork before any gossip is read.
//
// Two neighbours share one connection, whichever dialed it: our link to a peer is opened
// on the connection the peer dialed to us when there is one, and links the peer opens on a
// connection we dialed are served like any other. The connection closes once neither side
// has a link on it (a side that drops its link while the other still sends closes only its
// link). One connection per neighbour pair rather than one per direction halves the
// handshakes of a forming overlay and the keep-alive traffic of a formed one (decision 0216).
//
// A neighbour's catalog exchange (discovery's, at neighbour-up, settling, anti-entropy) runs
// on that shared connection too, on a link whose hello says so (SyncHello), rather than on
// a connection and handshake of its own (decision 0221).
//
// The GossipNode is guarded by this class's mutex; actions run after it is released, so
// the delivery callback may take discovery's own lock.

#include <asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include "gossip/gossip_node.hpp"
#include "mosaik/primitives/async/task_group.hpp"
#include "mosaik/primitives/wire.hpp"
#include "mosaik/transport/endpoint.hpp"

namespace mosaik::discovery::detail {

// The hello of a link on an announce connection that carries a catalog exchange instead of
// gossip (a gossip link's hello is the bare network id).
struct SyncHello {
  static constexpr std::string_view kPurpose = "catalog-sync";
  NetworkId network;
  std::string purpose;
  MOSAIK_WIRE_FIELDS(network, purpose);
};

class AnnounceProtocol : public std::enable_shared_from_this<AnnounceProtocol> {
 public:
  static constexpr std::string_view kAlpn = "/mosaik/announce";
  // Frames waiting for one peer; beyond this the oldest are dropped (gossip repairs it).
  static constexpr std::size_t kMaxQueuedPerPeer = 256;
  static constexpr std::chrono::milliseconds kTickInterval{100};
  // Peers we hold a link to: the active view plus recent one-off exchanges (joins, shuffles);
  // beyond this an idle, no-longer-needed link is closed to make room.
  static constexpr std::size_t kMaxPeerLinks = 16;
  // A link outside the active view (a join, a shuffle) idle this long is closed, connection
  // and all, so one-off exchanges do not pile up connections on popular peers.
  static constexpr std::chrono::milliseconds kIdleLinkTimeout{2000};
  // Every link starts with a hello (the network id, 34 bytes encoded) that must arrive
  // within kHelloTimeout; gossip frames after it may be as large as the codec accepts.
  static constexpr std::size_t kMaxHelloFrame = 256;
  static constexpr std::chrono::seconds kHelloTimeout{5};
  static constexpr std::size_t kMaxGossipFrame = gossip::WireLimits{}.max_message_bytes;

  using DeliverFn = std::function<void(const wire::Bytes& payload)>;
  // A peer entered the active view: discovery syncs catalogs with it (first contact), which
  // also covers broadcasts made before the two were neighbours.
  using NeighborFn = std::function<void(const EndpointAddr& peer)>;

  // Serves a catalog exchange a peer opened on an announce connection (the link past its
  // SyncHello); without one such links are refused like any malformed hello.
  using SyncFn = std::function<asio::awaitable<void>(transport::RawLink link)>;

  AnnounceProtocol(transport::Endpoint endpoint, NetworkId network, std::uint64_t seed,
                   DeliverFn deliver, NeighborFn neighbor_up, TaskGroup& tasks);

  // Before start().
  void serve_catalog_syncs(SyncFn serve) { serve_sync_ = std::move(serve); }

  // Serves the protocol and starts the tick; the node joins nobody until join() or learn().
  void start();
  // Sends a HyParView Join to the first of `contacts` (the next ones while we stay isolated).
  void join(const std::vector<EndpointAddr>& contacts);
  // A peer discovery exchanged catalogs with: it becomes a gossip candidate, and our
  // neighbour at once while we have none (a node joined only by sync_with or a dial).
  void learn(const EndpointAddr& peer);
  // Spreads `payload` to every node; `urgent` at tick speed, otherwise batched. False (and
  // nothing sent) when this payload was broadcast before.
  bool broadcast(wire::Bytes payload, bool urgent);
  // Sends `payload` straight to `peers` as if we were their neighbour (they deliver it and
  // spread it on): last words that must not depend on the state of our views.
  void send_direct(const wire::Bytes& payload, const std::vector<EndpointAddr>& peers);
  // A link for a catalog exchange with `peer`, its SyncHello sent, on the announce
  // connection we share with it; none when we share none or it closed meanwhile.
  asio::awaitable<std::optional<transport::RawLink>> open_sync_link(PeerId peer);
  // The peers of the active view (for anti-entropy exchanges with neighbours only).
  std::vector<EndpointAddr> active_peers() const;
  std::size_t open_links() const;
  // Frames waiting in every peer's queue (a diagnostic: each queue is bounded).
  std::size_t queued_frames() const;
  std::uint64_t refused_frames() const;
  // Gossip frames received (every kind), for traffic measurements.
  std::uint64_t frames_received() const { return frames_received_.load(std::memory_order_relaxed); }

 private:
  struct PeerLink {
    EndpointAddr addr;
    std::deque<wire::Bytes> queue;
    std::optional<transport::RawLink> link;
    bool sending = false;
    bool keep = false;  // in the active view: never evicted
    bool dropped = false;  // left the active view: closed as soon as its queue is sent
    gossip::Instant last_used{};
  };

  gossip::Instant now() const;
  void run(gossip::Actions actions);
  void enqueue(const EndpointAddr& to, wire::Bytes frame);
  asio::awaitable<void> send_loop(PeerId peer);
  // A link to `peer`: on the connection we share with it when there is one, else dialed.
  asio::awaitable<std::optional<transport::RawLink>> open_link_to(PeerId peer, EndpointAddr addr);
  // Serves the links the peer opens on a connection we dialed (once per connection).
  void serve_dialed(const transport::Connection& connection);
  // `dialed_by_us`: which side dialed it, for the tie-break between two connections.
  asio::awaitable<void> serve_connection(transport::Connection connection, bool dialed_by_us);
  // Makes `connection` the one shared with its peer unless another is, or the other is the
  // one both sides prefer when both dialed at once (the smaller id's); our link moves to it.
  void share_connection_locked(const transport::Connection& connection, bool dialed_by_us);
  // Our link to `peer` is on a connection that lost the tie-break: it goes (after what was
  // sent on it is delivered) and the next frame opens one on the shared connection.
  // Returns whether it moved.
  bool move_link_off_superseded_locked(const PeerId& peer, PeerLink& p);
  asio::awaitable<void> serve_link(transport::RawLink link, PeerId from);
  asio::awaitable<void> tick_loop();
  void report_down(const PeerId& peer);
  // Closes idle links while more than `at_most` peers are in the table.
  void evict_idle_locked(std::size_t at_most);
  void close_idle_links_locked(gossip::Instant now);
  // Outside the active view with nothing queued or in flight: may be closed.
  static bool is_idle(const PeerLink& peer);
  // Closes our link to `peer`, once what was sent on it is delivered; the connection too
  // unless the peer still has a link to us on it.
  void close_link_locked(const PeerId& peer, const PeerLink& link);
  // A neighbour now at other addresses (restarted with the same key, or moved): our link
  // to it goes, with its connection, when that connection is to an address it no longer
  // advertises; the next frame opens one on the connection it dialed to us, or dials.
  void drop_link_to_old_addresses_locked(const PeerId& peer, PeerLink& p);
  // After the peer's link to us on `connection` ended: closes the connection when no link
  // of either side is left on it.
  void release_connection_locked(const PeerId& peer, const transport::Connection& connection);

  transport::Endpoint endpoint_;
  NetworkId network_;
  DeliverFn deliver_;
  NeighborFn neighbor_up_;
  SyncFn serve_sync_;
  TaskGroup& tasks_;
  const std::chrono::steady_clock::time_point origin_ = std::chrono::steady_clock::now();

  mutable std::mutex mutex_;
  gossip::GossipNode node_;           // guarded by mutex_
  std::map<PeerId, PeerLink> peers_;  // guarded by mutex_
  // The announce connection shared with each peer (the first one either side opened that is
  // still up), and, by connection, how many links the peer has open to us on it and whether
  // we serve its links. Guarded by mutex_.
  std::map<PeerId, transport::Connection> connections_;
  std::map<const void*, std::size_t> inbound_links_;
  std::set<const void*> serving_;
  // Connections that lost the tie-break to another one with the same peer: a link of ours
  // opened on one moves to the shared connection. Guarded by mutex_.
  std::set<const void*> superseded_;
  std::uint64_t refused_frames_ = 0;  // guarded by mutex_
  std::atomic<std::uint64_t> frames_received_{0};
};

}  // namespace mosaik::discovery::detail
