#pragma once
// DiscoveryService: discovery's I/O shell. It owns the catalog rules (CatalogState), our own
// signed entry, the catalog watch and the event broadcast, and drives the protocols over the
// node's endpoint:
//  - /mosaik/catalog-sync: an exchange (digests first: only missing or newer entries travel,
//    catalog_sync.hpp) on first contact, on sync_with(), and with one random neighbour
//    every announce interval (anti-entropy);
//  - a refresh loop that re-signs our entry (keeping it fresh for others) and a purge loop.
// State is guarded by one mutex held only for short, non-suspending sections, so the public
// handle can be used from any thread. Every inbound exchange runs in its own task with a
// timeout; a silent peer costs one task, never the worker.

#include <asio/awaitable.hpp>

#include <atomic>
#include <cstddef>
#include <expected>
#include <map>
#include <optional>
#include <memory>
#include <mutex>
#include <random>
#include <vector>

#include "announce.hpp"
#include "catalog_state.hpp"
#include "catalog_sync.hpp"
#include "mosaik/discovery/discovery.hpp"
#include "mosaik/primitives/async/task_group.hpp"
#include "mosaik/primitives/network_secret.hpp"
#include "mosaik/transport/endpoint.hpp"
#include "mosaik/transport/link.hpp"

namespace mosaik::discovery::dht {
class DhtBootstrap;
}

namespace mosaik::discovery::detail {

// One catalog-sync message, sent both ways (catalog_sync.hpp has the exchange): the sender's
// network and signed entries; in the request, the dialer's summary; in the reply, the ids
// the acceptor wants from that summary.
struct CatalogSyncMessage {
  NetworkId network_id;
  std::vector<SignedPeerEntry> entries;
  std::vector<EntryVersion> summary;
  std::vector<PeerId::Bytes> wanted;
  MOSAIK_WIRE_FIELDS(network_id, entries, summary, wanted);
  static constexpr std::string_view alpn = "/mosaik/catalog-sync";
  // Both sides read at most this; a sender with a larger catalog sends a part of it (from a
  // random place, so repeated syncs cover all of it; gossip carries every entry anyway).
  static constexpr std::size_t kMaxFrame = 4 << 20;
};

// What the announce protocol spreads: fresh signed entries and signed departures.
struct AnnouncePayload {
  std::vector<SignedPeerEntry> entries;
  std::vector<SignedDeparture> departures;
  MOSAIK_WIRE_FIELDS(entries, departures);
};

class DiscoveryService : public std::enable_shared_from_this<DiscoveryService> {
 public:
  // Inbound catalog-sync connections held (handshaking or open), and exchanges served, at
  // once; past either a new one is refused until some finish (a short exchange each: a mass
  // join's dialers retry with their backoff). A connection past the bound is refused by the
  // endpoint at its ClientHello, before the handshake's work (decision 0218); an exchange
  // past it on a connection serving none is closed with its connection.
  static constexpr std::size_t kMaxInboundSyncs = 32;
  // Known peers told of our departure directly, beside the broadcast tree.
  static constexpr std::size_t kDepartureDirectPeers = 3;
  // What one announcement may carry: a node announces its own entry or its own departure,
  // one per broadcast. More is refused whole (Rejection::kOverfullAnnouncement).
  static constexpr std::size_t kMaxEntriesPerAnnouncement = 1;
  static constexpr std::size_t kMaxDeparturesPerAnnouncement = 1;
  // A failed exchange with the bootstrap peers is retried after this, doubling (jittered)
  // up to the last value or the announce interval (service_bootstrap.cpp). The cap is low:
  // a busy refusal costs the refusing node little (decision 0218), and at 4 s joiners
  // refused a few times starved while others got in (a dead peer's attempt takes its
  // timeout anyway).
  static constexpr std::chrono::milliseconds kFirstBootstrapRetry{200};
  static constexpr std::chrono::milliseconds kLastBootstrapRetry{1000};
  static constexpr std::size_t kQuietAttempts = 8;
  // Anti-entropy exchanges soon after start: after this, doubling, below the announce interval.
  static constexpr std::chrono::milliseconds kFirstSettleSync{2000};
  // Every this many refreshes the anti-entropy partner is any peer of the catalog, not a
  // gossip neighbour (refresh_loop): a one-off connection, one at a time.
  static constexpr std::uint64_t kOutsideSyncEvery = 4;
  // An entry a catalog exchange brings, of a peer we did not know, signed at least this
  // long ago, missed its broadcast: we broadcast it on (missed_broadcasts, decision 0218).
  static constexpr std::chrono::milliseconds kMissedBroadcastAge{2000};
  // How often our advertised addresses are compared with our entry's (address_watch_loop);
  // the endpoint re-reads the interfaces at most as often.
  static constexpr std::chrono::seconds kAddressCheck{1};

  // `network_secret`, when the network has one, keys the DHT bootstrap record.
  DiscoveryService(transport::Endpoint endpoint, SecretKey key, NetworkId network, Config config,
                   std::optional<NetworkSecret> network_secret = std::nullopt);

  // Registers the protocol handlers and starts the loops and the bootstrap dials.
  void start();
  // Cancels every task and waits for them.
  asio::awaitable<void> stop();

  Catalog catalog() const { return catalog_.borrow(); }
  WatchReceiver<Catalog> catalog_watch() const { return catalog_.subscribe(); }
  BroadcastReceiver<Event> events() const { return events_.subscribe(); }
  SignedPeerEntry me() const { return me_.borrow(); }

  void dial(EndpointAddr peer);
  asio::awaitable<std::expected<void, Error>> sync_with(EndpointAddr peer);

  // Changes our entry (tags, streams, groups); when `fn` changed anything, re-signs it and
  // announces it at once.
  template <class F>
  void update_local(F&& fn) {
    std::optional<SignedPeerEntry> changed;
    {
      std::lock_guard lock(mutex_);
      if (fn(local_)) changed = resign_locked();
    }
    if (changed) announce_entry(*changed, /*urgent=*/true);
  }
  // Changes our entry without re-signing or announcing it: the next periodic refresh
  // (announce_interval) carries the change.
  template <class F>
  void update_local_quietly(F&& fn) {
    std::lock_guard lock(mutex_);
    (void)fn(local_);
  }

  void insert(PeerEntry entry);
  bool remove(const PeerId& peer);
  void clear_unsigned();
  bool feed(const SignedPeerEntry& entry);

  std::uint64_t rejected(Rejection r) const;
  // Links the announce protocol holds open (bounded by the gossip views, not by N).
  std::size_t active_peers() const { return announce_ ? announce_->active_peers().size() : 0; }
  std::size_t announce_links() const { return announce_ ? announce_->open_links() : 0; }
  // Catalog exchanges this node is serving now (bounded by kMaxInboundSyncs).
  std::size_t inbound_syncs() const { return inbound_syncs_.load(); }
  // Catalog-sync connections dialed to us and being served (bounded by kMaxInboundSyncs).
  std::size_t sync_connections() const { return sync_connections_.load(); }
  // Exchanges we dialed that ran on an announce connection shared with the peer.
  std::uint64_t shared_exchanges() const { return shared_exchanges_.load(std::memory_order_relaxed); }
  std::uint64_t announce_frames_received() const {
    return announce_ ? announce_->frames_received() : 0;
  }
  // The Mainline DHT bootstrap, when the config enables it (src/discovery/dht).
  const std::shared_ptr<dht::DhtBootstrap>& dht_bootstrap() const { return dht_; }

 private:
  using SyncLink = transport::Link<CatalogSyncMessage>;

  void on_neighbor_up(const EndpointAddr& peer);
  // Exchanges catalogs with a bootstrap peer until one answers, then joins the overlay
  // through a random peer of the catalog it gave (service_bootstrap.cpp).
  asio::awaitable<void> bootstrap_loop();
  void join_through_catalog(const EndpointAddr& bootstrap);
  // A few anti-entropy exchanges with random neighbours in the first announce interval.
  asio::awaitable<void> settle_loop();
  // `learn`: the peer becomes a gossip candidate once the exchange succeeded.
  asio::awaitable<std::expected<void, Error>> sync_on_executor(EndpointAddr peer, bool learn = true);
  // One exchange: the entries received, merged by the caller once the link is closed (so
  // the peer's connection is not held while we verify them). `connection` is set once a
  // link is open (for sync_on_executor to close).
  asio::awaitable<std::expected<std::vector<SignedPeerEntry>, Error>> exchange_catalogs(
      const EndpointAddr& peer, std::optional<transport::Connection>& connection);
  // The exchange itself, on an open link (of its own connection or an announce connection).
  asio::awaitable<std::expected<std::vector<SignedPeerEntry>, Error>> exchange_on(SyncLink& link);
  // The peer's next message, or kCancelled once sync_timeout passes (a timer cancels the
  // link, so the wait never depends on cancellation reaching into the transport).
  asio::awaitable<std::expected<CatalogSyncMessage, transport::LinkError>> recv_within_timeout(
      SyncLink& link);
  asio::awaitable<void> serve_connection(transport::Connection connection);
  // An exchange a neighbour opened on the announce connection we share (decision 0221).
  static asio::awaitable<void> serve_shared_sync(std::weak_ptr<DiscoveryService> weak,
                                                 transport::RawLink link);
  // `serving`: the exchanges being served on the link's connection (one less when done).
  asio::awaitable<void> serve_sync(SyncLink link, std::shared_ptr<std::size_t> serving);
  void start_dht();
  asio::awaitable<void> refresh_loop();
  // Re-signs and announces our entry when our advertised addresses change
  // (service_addresses.cpp).
  asio::awaitable<void> address_watch_loop();
  // The signed entries of the catalog but ours and `neighbours`'. Under mutex_.
  std::vector<EndpointAddr> catalog_peers_outside_locked(const std::vector<EndpointAddr>& neighbours) const;
  asio::awaitable<void> purge_loop();

  // Our entry and the signed entries `peer_has` (a peer's summary) lacks; everything
  // without one. Bounded by the frame size.
  CatalogSyncMessage outgoing_message(const std::vector<EntryVersion>* peer_has = nullptr);
  // A request: our entry and the summary of what we hold.
  CatalogSyncMessage sync_request();
  // `from_exchange`: entries a catalog exchange brought, whose missed broadcasts we make
  // (rather than gossip, which Plumtree spreads itself).
  void merge_incoming(const std::vector<SignedPeerEntry>& received, bool from_exchange);
  SignedPeerEntry resign_locked();
  // False when nothing was sent: no announce protocol, departing, or broadcast before.
  bool announce_entry(const SignedPeerEntry& entry, bool urgent);
  void on_announce(const wire::Bytes& payload);
  void publish_locked(std::vector<Event> events);
  std::chrono::milliseconds jittered_interval();
  Timestamp now() const;

  transport::Endpoint endpoint_;
  SecretKey key_;
  NetworkId network_;
  std::optional<NetworkSecret> network_secret_;
  Config config_;

  mutable std::mutex mutex_;
  CatalogState state_;  // guarded by mutex_
  PeerEntry local_;     // guarded by mutex_
  std::mt19937_64 rng_;  // guarded by mutex_

  Watch<SignedPeerEntry> me_;
  Watch<Catalog> catalog_;
  Broadcast<Event> events_;
  std::atomic<std::size_t> inbound_syncs_{0};
  std::atomic<std::size_t> sync_connections_{0};
  std::atomic<std::uint64_t> shared_exchanges_{0};
  std::atomic<bool> anti_entropy_in_flight_{false};
  std::atomic<bool> departing_{false};  // set (under mutex_) once our departure is signed
  std::map<PeerId, int> syncs_in_flight_;  // only touched on the executor
  std::shared_ptr<AnnounceProtocol> announce_;  // set by start()
  std::shared_ptr<dht::DhtBootstrap> dht_;       // set by start() when the DHT is enabled
  TaskGroup tasks_;
};

}  // namespace mosaik::discovery::detail
