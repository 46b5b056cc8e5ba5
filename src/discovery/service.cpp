#include "service.hpp"

#include <asio/co_spawn.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>

#include <asio/steady_timer.hpp>

#include "dht/bootstrap.hpp"
#include "mosaik/primitives/async/timeout.hpp"
#include "mosaik/primitives/log.hpp"
#include "mosaik/transport/bounded_alpn.hpp"
#include "discovery_log.hpp"

namespace mosaik::discovery::detail {
namespace {

Error link_error(std::string message) { return Error{Error::Kind::kLink, std::move(message)}; }

Error from_link_error(const transport::LinkError& e) {
  if (e.reason == transport::close_reason::DifferentNetwork) {
    return Error{Error::Kind::kDifferentNetwork, "the peer belongs to a different network"};
  }
  if (e.kind == transport::LinkError::Kind::kCancelled) {
    return Error{Error::Kind::kCancelled, e.message};
  }
  return link_error(e.message);
}

}  // namespace

DiscoveryService::DiscoveryService(transport::Endpoint endpoint, SecretKey key, NetworkId network,
                                   Config config, std::optional<NetworkSecret> network_secret)
    : endpoint_(std::move(endpoint)),
      key_(std::move(key)),
      network_(network),
      network_secret_(std::move(network_secret)),
      config_(std::move(config)),
      state_(network, key_.public_key(), config_),
      local_(network, endpoint_.addr()),
      rng_(std::random_device{}()),
      events_(config_.events_backlog),
      tasks_(endpoint_.executor(), [](std::exception_ptr e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          logger()->error("discovery task failed: {}", ex.what());
        }
      }) {
  const Timestamp started = now();
  local_.set_version({started, started});
  for (const Tag& t : config_.tags) local_.add_tag(t);
  me_.set(SignedPeerEntry::sign(local_, key_));
}

Timestamp DiscoveryService::now() const {
  return std::chrono::duration_cast<Timestamp>(
      std::chrono::system_clock::now().time_since_epoch());
}

void DiscoveryService::start() {
  std::weak_ptr<DiscoveryService> weak = weak_from_this();
  announce_ = std::make_shared<AnnounceProtocol>(
      endpoint_, network_, std::random_device{}(),
      [weak](const wire::Bytes& payload) {
        if (auto self = weak.lock()) self->on_announce(payload);
      },
      [weak](const EndpointAddr& peer) {
        if (auto self = weak.lock()) self->on_neighbor_up(peer);
      },
      tasks_);
  announce_->serve_catalog_syncs([weak](transport::RawLink link) { return serve_shared_sync(weak, std::move(link)); });
  announce_->start();
  transport::register_bounded_alpn(
      endpoint_, std::string(CatalogSyncMessage::alpn),
      [weak](transport::Connection connection) {
        if (auto self = weak.lock()) self->tasks_.spawn(self->serve_connection(std::move(connection)));
      },
      kMaxInboundSyncs);
  tasks_.spawn(refresh_loop());
  tasks_.spawn(address_watch_loop());
  tasks_.spawn(settle_loop());
  tasks_.spawn(purge_loop());
  if (!config_.bootstrap_peers.empty()) tasks_.spawn(bootstrap_loop());
  if (config_.dht_publish_interval || config_.dht_poll_interval) start_dht();
}

void DiscoveryService::start_dht() {
  std::weak_ptr<DiscoveryService> weak = weak_from_this();
  dht::BootstrapHooks hooks;
  hooks.self = [endpoint = endpoint_] { return endpoint.addr(); };
  hooks.known_peers = [weak]() -> std::size_t {
    auto self = weak.lock();
    return self ? self->catalog().size() : 0;
  };
  hooks.knows = [weak](const PeerId& peer) {
    auto self = weak.lock();
    return self && self->catalog().contains(peer);
  };
  hooks.dial = [weak](EndpointAddr peer) {
    if (auto self = weak.lock()) self->dial(std::move(peer));
  };
  auto started =
      dht::DhtBootstrap::start(endpoint_.executor(), dht::network_item_key(network_, network_secret_),
                               config_, std::move(hooks), tasks_);
  if (!started) {
    logger()->warn("DHT bootstrap disabled: {}", started.error());
    return;
  }
  dht_ = std::move(*started);
}

asio::awaitable<void> DiscoveryService::stop() {
  if (announce_) {
    // Tell the others we are leaving, and give the gossip its window to spread it. Besides
    // the broadcast tree, a few known peers hear it directly: a node that leaves before
    // its views formed (or whose neighbours are lazy) still reaches someone who spreads it.
    Departure departure;
    std::vector<EndpointAddr> direct;
    {
      std::lock_guard lock(mutex_);
      departing_ = true;  // from here on our entry never changes (it would outlive the departure)
      departure = Departure{network_, key_.public_key(), local_.version()};
      for (const auto& [id, entry] : state_.catalog()) {
        if (entry.is_signed()) direct.push_back(entry.addr());
      }
      if (direct.empty()) direct = config_.bootstrap_peers;  // leaving before any sync completed
      std::shuffle(direct.begin(), direct.end(), rng_);
      if (direct.size() > kDepartureDirectPeers) direct.resize(kDepartureDirectPeers);
    }
    const auto payload = wire::encode(AnnouncePayload{{}, {SignedDeparture::sign(departure, key_)}});
    logger()->debug("announcing our departure ({} neighbours, {} direct)",
                    announce_->active_peers().size(), direct.size());
    announce_->broadcast(payload, /*urgent=*/true);
    announce_->send_direct(payload, direct);
    co_await sleep_for(config_.graceful_departure_window);
  }
  co_await tasks_.close();
  if (dht_) dht_->stop();  // its loops ended with the tasks
}

SignedPeerEntry DiscoveryService::resign_locked() {
  if (departing_) return me_.borrow();
  // Interface addresses come and go: each refresh advertises the current ones, and peers
  // replace the older entry (docs/decisions/0207).
  local_.set_addr(endpoint_.addr());
  auto v = local_.version();
  v.update = std::max(now(), v.update + Timestamp(1));
  local_.set_version(v);
  auto signed_entry = SignedPeerEntry::sign(local_, key_);
  me_.set(signed_entry);
  return signed_entry;
}

bool DiscoveryService::announce_entry(const SignedPeerEntry& entry, bool urgent) {
  if (!announce_ || departing_) return false;
  AnnouncePayload payload{{entry}, {}};
  return announce_->broadcast(wire::encode(payload), urgent);
}

void DiscoveryService::on_announce(const wire::Bytes& bytes) {
  auto payload = wire::decode<AnnouncePayload>(bytes);
  if (!payload) {
    logger()->info("dropped an undecodable announcement: {}", payload.error().message());
    return;
  }
  if (payload->entries.size() > kMaxEntriesPerAnnouncement ||
      payload->departures.size() > kMaxDeparturesPerAnnouncement) {
    logger()->info("refused an announcement of {} entries and {} departures",
                   payload->entries.size(), payload->departures.size());
    std::lock_guard lock(mutex_);
    state_.count_rejection(Rejection::kOverfullAnnouncement);
    return;
  }
  merge_incoming(payload->entries, /*from_exchange=*/false);
  std::lock_guard lock(mutex_);
  std::vector<Event> events;
  for (const auto& d : payload->departures) {
    if (d.departure.peer_id == key_.public_key()) continue;
    auto removed = state_.depart(d, now());
    if (removed && *removed) {
      logger()->info("peer {} departed", d.departure.peer_id);
      events.emplace_back(PeerDeparted{d.departure.peer_id});
    }
  }
  if (!events.empty()) publish_locked(std::move(events));
}

void DiscoveryService::publish_locked(std::vector<Event> events) {
  catalog_.set(state_.catalog());
  for (auto& e : events) events_.send(std::move(e));
}

std::chrono::milliseconds DiscoveryService::jittered_interval() {
  std::lock_guard lock(mutex_);
  std::uniform_real_distribution<double> spread(-config_.announce_jitter, config_.announce_jitter);
  const double factor = 1.0 + spread(rng_);
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(static_cast<double>(config_.announce_interval.count()) * factor));
}

CatalogSyncMessage DiscoveryService::outgoing_message(const std::vector<EntryVersion>* peer_has) {
  // Room for the network id and the message's msgpack headers.
  constexpr std::size_t kEnvelopeBytes = 64;
  std::lock_guard lock(mutex_);
  const auto start = std::uniform_int_distribution<std::size_t>(0, SIZE_MAX)(rng_);
  return CatalogSyncMessage{network_,
                            entries_to_share(state_.catalog(), me_.borrow(),
                                             CatalogSyncMessage::kMaxFrame - kEnvelopeBytes, start, peer_has),
                            {}, {}};
}

CatalogSyncMessage DiscoveryService::sync_request() {
  std::lock_guard lock(mutex_);
  // One summary row is about 50 bytes: a catalog of max_catalog_entries (10 000) fits a
  // frame. A larger one is summarised in part, which only makes the reply carry more.
  constexpr std::size_t kMaxSummary = CatalogSyncMessage::kMaxFrame / 64;
  auto summary = summarize(state_.catalog());
  if (summary.size() > kMaxSummary) summary.resize(kMaxSummary);
  // Our own entry too, so that the reply does not carry it back.
  const auto me = me_.borrow();
  summary.push_back(EntryVersion{me.peer_id().as_bytes(), me.version()});
  return CatalogSyncMessage{network_, {me}, std::move(summary), {}};
}

void DiscoveryService::merge_incoming(const std::vector<SignedPeerEntry>& received, bool from_exchange) {
  // Peers send our own entry back as part of their catalog: expected, not an offence.
  std::vector<SignedPeerEntry> entries;
  entries.reserve(received.size());
  for (const auto& e : received) {
    if (e.peer_id() != key_.public_key()) entries.push_back(e);
  }
  std::vector<SignedPeerEntry> missed;
  {
    std::lock_guard lock(mutex_);
    const auto& known = state_.catalog();
    const bool knew_someone = from_exchange && std::any_of(known.begin(), known.end(), [](const auto& held) {
                                return held.second.is_signed();
                              });
    const Timestamp at = now();
    const auto report = merge_batch(state_, entries, at, config_.max_catalog_entries);
    if (report.rejected > 0) {
      std::string which;
      for (const auto& [peer, why] : report.rejections) {
        which += fmt::format("{}{} ({})", which.empty() ? "" : ", ", peer, to_string(why));
      }
      logger()->info("refused {} of {} received entries: {}{}", report.rejected, entries.size(), which,
                     report.rejected > report.rejections.size() ? ", ..." : "");
    }
    if (report.changed.empty()) return;
    std::vector<Event> events;
    for (const auto& [change, entry] : report.changed) {
      if (change == Change::kDiscovered) {
        logger()->info("peer {} joined at {}", entry.peer_id(), entry.addr());
        events.emplace_back(PeerDiscovered{entry});
      } else {
        events.emplace_back(PeerUpdated{entry});
      }
    }
    publish_locked(std::move(events));
    missed = missed_broadcasts(report, knew_someone, at, kMissedBroadcastAge);
  }
  // Outside the lock: the announce protocol takes its own.
  if (!missed.empty()) {
    logger()->debug("broadcasting {} entries a catalog exchange brought and gossip had not", missed.size());
  }
  for (const auto& entry : missed) announce_entry(entry, /*urgent=*/true);
}

void DiscoveryService::on_neighbor_up(const EndpointAddr& peer) {
  // First contact: a full catalog exchange covers what either side broadcast before the two
  // were neighbours. Both sides see the neighbour come up and one exchange serves both, so
  // only the side with the smaller id dials, and not while an exchange is in flight.
  if (key_.public_key() < peer.id && !syncs_in_flight_.contains(peer.id)) dial(peer);
  // Our first neighbour: our entry goes out through it now rather than at the next refresh.
  // It is not broadcast at start (that would reach nobody); one broadcast before (while
  // connected earlier, or changed while alone) is re-signed so the broadcast is new.
  if (announce_ && announce_->active_peers().size() == 1 && !announce_entry(me_.borrow(), /*urgent=*/true)) {
    SignedPeerEntry refreshed;
    {
      std::lock_guard lock(mutex_);
      refreshed = resign_locked();
    }
    announce_entry(refreshed, /*urgent=*/true);
  }
}

void DiscoveryService::dial(EndpointAddr peer) {
  auto self = shared_from_this();
  tasks_.spawn([](std::shared_ptr<DiscoveryService> self, EndpointAddr peer) -> asio::awaitable<void> {
    // Neighbours, DHT and mDNS finds: a failure is routine churn. Bootstrap peers go through
    // bootstrap_loop(), which warns with its retry wait.
    auto result = co_await self->sync_on_executor(peer);
    if (!result) logger()->debug("dial {} failed: {}", peer.id, result.error().message);
  }(std::move(self), std::move(peer)));
}

asio::awaitable<std::expected<void, Error>> DiscoveryService::sync_with(EndpointAddr peer) {
  // The exchange runs on the node's executor whatever executor the caller is on.
  co_return co_await asio::co_spawn(endpoint_.executor(), sync_on_executor(std::move(peer)),
                                    asio::use_awaitable);
}

asio::awaitable<std::expected<CatalogSyncMessage, transport::LinkError>>
DiscoveryService::recv_within_timeout(SyncLink& link) {
  asio::steady_timer deadline(co_await asio::this_coro::executor);
  deadline.expires_after(config_.sync_timeout);
  deadline.async_wait([link](std::error_code ec) mutable {
    if (!ec) link.cancel();
  });
  auto message = co_await link.recv();
  deadline.cancel();
  co_return message;
}

asio::awaitable<std::expected<void, Error>> DiscoveryService::sync_on_executor(EndpointAddr peer,
                                                                             bool learn) {
  if (peer.id == key_.public_key()) co_return std::unexpected(link_error("cannot sync with self"));
  // Exchanges with one peer share a connection; the last one to finish closes it, so
  // occasional syncs never leave connections open until the idle timeout.
  ++syncs_in_flight_[peer.id];
  std::optional<transport::Connection> connection;
  auto received = co_await exchange_catalogs(peer, connection);
  if (--syncs_in_flight_[peer.id] == 0) {
    syncs_in_flight_.erase(peer.id);
    if (connection) connection->close(transport::close_reason::Success);
  }
  if (!received) co_return std::unexpected(received.error());
  // Verified once the connection is gone: a popular peer (the bootstrap node of a mass
  // join) holds each exchange for a round trip or two, not for our signature checks.
  merge_incoming(*received, /*from_exchange=*/true);
  logger()->trace("synced with {} ({} entries received)", peer.id, received->size());
  // Every peer we exchanged catalogs with joins our gossip overlay: without it, nodes met
  // only through sync_with (or a dial) would never hear each other's later changes.
  if (learn && announce_) announce_->learn(peer);
  co_return std::expected<void, Error>{};
}

asio::awaitable<std::expected<std::vector<SignedPeerEntry>, Error>> DiscoveryService::exchange_catalogs(
    const EndpointAddr& peer, std::optional<transport::Connection>& connection) {
  // A neighbour: on the announce connection we share, with no handshake of its own
  // (decision 0221). A peer that refuses that (a build before it) or a connection that
  // closes under the exchange: on a connection of its own, as with any other peer.
  if (announce_) {
    if (auto shared = co_await announce_->open_sync_link(peer.id)) {
      shared->set_max_frame_size(CatalogSyncMessage::kMaxFrame);
      SyncLink link(std::move(*shared));
      auto received = co_await exchange_on(link);
      if (received) shared_exchanges_.fetch_add(1, std::memory_order_relaxed);
      if (received || received.error().kind == Error::Kind::kDifferentNetwork) co_return received;
      logger()->debug("catalog exchange with {} on the announce connection failed: {}; dialing",
                      peer.id, received.error().message);
    }
  }
  auto opened = co_await with_timeout(SyncLink::open(endpoint_, peer, CatalogSyncMessage::kMaxFrame),
                                   config_.sync_timeout);
  if (!opened) co_return std::unexpected(link_error("connecting for a catalog sync timed out"));
  auto& link = *opened;
  if (!link) co_return std::unexpected(link_error(link.error().message));
  connection = link->connection();
  co_return co_await exchange_on(*link);
}

asio::awaitable<std::expected<std::vector<SignedPeerEntry>, Error>> DiscoveryService::exchange_on(
    SyncLink& link) {
  if (auto sent = co_await link.send(sync_request()); !sent) {
    co_return std::unexpected(from_link_error(sent.error()));
  }
  auto reply = co_await recv_within_timeout(link);
  if (!reply) co_return std::unexpected(from_link_error(reply.error()));
  if (reply->network_id != network_) {
    link.close(transport::close_reason::DifferentNetwork);
    co_return std::unexpected(
        Error{Error::Kind::kDifferentNetwork, "the peer belongs to a different network"});
  }
  if (reply->wanted.empty()) {
    link.close(transport::close_reason::Success);
    co_return std::move(reply->entries);
  }
  // The entries the peer lacks; it closes the link once it has them (closing first would
  // drop them).
  CatalogSyncMessage more{network_, {}, {}, {}};
  {
    std::lock_guard lock(mutex_);
    more.entries = entries_named(state_.catalog(), reply->wanted, CatalogSyncMessage::kMaxFrame - 64);
  }
  if (auto sent = co_await link.send(more); !sent) co_return std::unexpected(from_link_error(sent.error()));
  (void)co_await recv_within_timeout(link);
  co_return std::move(reply->entries);
}

asio::awaitable<void> DiscoveryService::serve_connection(transport::Connection connection) {
  // The endpoint holds at most kMaxInboundSyncs of these connections (it refuses the next
  // at its ClientHello). Past kMaxInboundSyncs exchanges, one more is refused; a connection
  // with nothing of ours being served on it is closed, not only its link: the dialer learns
  // at once, and a mass join does not pile connections on the bootstrap node (each held
  // until its dialer gets round to closing it).
  const auto refuse = [&](std::size_t serving) {
    logger()->debug("refusing a catalog sync from {}: {} connections, {} exchanges in progress",
                    connection.peer_id(), sync_connections_.load(), inbound_syncs_.load());
    if (serving == 0) connection.close(transport::close_reason::Cancelled);
    return serving == 0;
  };
  if (inbound_syncs_.load() >= kMaxInboundSyncs) {
    refuse(0);
    co_return;
  }
  ++sync_connections_;
  struct Release {
    std::atomic<std::size_t>& n;
    ~Release() { --n; }
  } release{sync_connections_};
  auto serving = std::make_shared<std::size_t>(0);
  for (;;) {
    auto link = co_await SyncLink::accept(connection, CatalogSyncMessage::kMaxFrame);
    if (!link) co_return;  // the connection is gone
    if (inbound_syncs_.load() >= kMaxInboundSyncs) {
      if (refuse(*serving)) co_return;
      link->close(transport::close_reason::Cancelled);
      continue;
    }
    ++*serving;
    tasks_.spawn(serve_sync(std::move(*link), serving));
  }
}

asio::awaitable<void> DiscoveryService::serve_shared_sync(std::weak_ptr<DiscoveryService> weak,
                                                         transport::RawLink link) {
  auto self = weak.lock();
  if (!self) co_return;
  // Bounded with the exchanges served on connections of their own.
  if (self->inbound_syncs_.load() >= kMaxInboundSyncs) {
    link.close(transport::close_reason::Cancelled);
    co_return;
  }
  link.set_max_frame_size(CatalogSyncMessage::kMaxFrame);
  co_await self->serve_sync(SyncLink(std::move(link)), std::make_shared<std::size_t>(1));
}

asio::awaitable<void> DiscoveryService::serve_sync(SyncLink link, std::shared_ptr<std::size_t> serving) {
  ++inbound_syncs_;
  struct Release {
    std::atomic<std::size_t>& n;
    std::shared_ptr<std::size_t> on_connection;
    ~Release() {
      --n;
      --*on_connection;
    }
  } release{inbound_syncs_, std::move(serving)};

  auto request = co_await recv_within_timeout(link);
  if (!request) co_return;
  if (request->network_id != network_) {
    logger()->info("refused a catalog sync from another network ({})", request->network_id);
    link.close(transport::close_reason::DifferentNetwork);
    co_return;
  }
  merge_incoming(request->entries, /*from_exchange=*/true);
  // The dialer joins our gossip overlay too (at the address its own signed entry gives).
  const auto dialer = link.connection().peer_id();
  if (announce_) {
    const auto known = catalog();
    if (const auto* entry = known.get(dialer); entry != nullptr && entry->is_signed()) {
      announce_->learn(entry->addr());
    }
  }
  // Digests first: with a summary, the reply carries only what the dialer lacks and names
  // what we lack; without one, our whole catalog.
  auto reply = outgoing_message(request->summary.empty() ? nullptr : &request->summary);
  {
    std::lock_guard lock(mutex_);
    reply.wanted = wanted_from(state_.catalog(), key_.public_key(), request->summary,
                               config_.max_catalog_entries);
  }
  const bool wants_more = !reply.wanted.empty();
  if (!co_await link.send(reply)) co_return;
  // The dialer closes once it has read the reply (closing first would drop it), or sends
  // what we asked for; then we close.
  auto more = co_await recv_within_timeout(link);
  if (!more || !wants_more) co_return;
  if (more->network_id != network_) {
    link.close(transport::close_reason::DifferentNetwork);
    co_return;
  }
  link.close(transport::close_reason::Success);
  merge_incoming(more->entries, /*from_exchange=*/true);
}

std::vector<EndpointAddr> DiscoveryService::catalog_peers_outside_locked(
    const std::vector<EndpointAddr>& neighbours) const {
  std::vector<EndpointAddr> outside;
  for (const auto& [id, entry] : state_.catalog()) {
    if (!entry.is_signed() || id == key_.public_key()) continue;
    if (std::any_of(neighbours.begin(), neighbours.end(), [&](const EndpointAddr& n) { return n.id == id; })) continue;
    outside.push_back(entry.addr());
  }
  return outside;
}

asio::awaitable<void> DiscoveryService::refresh_loop() {
  for (std::uint64_t refreshes = 1;; ++refreshes) {
    // The first refresh comes no sooner than one interval after start: our entry was signed
    // then and goes out with our first neighbour, and re-signing it early only makes every
    // node check it again while the network is still forming (decision 0218).
    auto wait = jittered_interval();
    if (refreshes == 1 && wait < config_.announce_interval) wait = 2 * config_.announce_interval - wait;
    co_await sleep_for(wait);
    std::optional<EndpointAddr> partner;
    // Anti-entropy with gossip neighbours, so connections stay bounded by the views; now and
    // then with another peer (below), one exchange at a time.
    std::vector<EndpointAddr> known = announce_ ? announce_->active_peers() : std::vector<EndpointAddr>{};
    std::optional<SignedPeerEntry> refreshed;
    bool alone = false;
    {
      std::lock_guard lock(mutex_);
      refreshed = resign_locked();
      alone = known.empty();
      if (alone) {
        known = config_.bootstrap_peers;  // still alone: retry bootstrap
      } else if (refreshes % kOutsideSyncEvery == 0) {
        // Now and then a peer outside our neighbours. Without it an overlay split in two
        // (nodes that joined through a neighbour which then crashed, holding no other
        // candidate: seen when members restart one after another) never hears the other part
        // again, and each part purges the other. The exchange makes the partner a candidate.
        if (auto outside = catalog_peers_outside_locked(known); !outside.empty()) known = std::move(outside);
      }
      if (!known.empty()) {
        partner = known[std::uniform_int_distribution<std::size_t>(0, known.size() - 1)(rng_)];
      }
    }
    announce_entry(*refreshed, /*urgent=*/false);
    // The exchange runs beside the loop: a dead partner (a handshake that never completes)
    // must not delay re-signing our entry. One at a time, so they cannot pile up.
    if (partner && !anti_entropy_in_flight_.exchange(true)) {
      tasks_.spawn([](std::shared_ptr<DiscoveryService> self, EndpointAddr peer,
                      bool bootstrap) -> asio::awaitable<void> {
        struct Done {
          std::atomic<bool>& flag;
          ~Done() { flag = false; }
        } done{self->anti_entropy_in_flight_};
        auto result = co_await self->sync_on_executor(peer);
        if (result) co_return;
        if (bootstrap) {  // once per announce interval while this node knows nobody
          logger()->warn("still alone: bootstrap peer {} at {} unreachable: {}", peer.id, peer,
                         result.error().message);
        } else {
          logger()->debug("anti-entropy sync with {} failed: {}", peer.id, result.error().message);
        }
      }(shared_from_this(), std::move(*partner), alone));
    }
  }
}

asio::awaitable<void> DiscoveryService::purge_loop() {
  const auto period = std::clamp<std::chrono::milliseconds>(
      config_.purge_after / 10, std::chrono::milliseconds(50), std::chrono::milliseconds(5000));
  for (;;) {
    co_await sleep_for(period);
    std::lock_guard lock(mutex_);
    auto gone = state_.purge(now());
    if (gone.empty()) continue;
    std::vector<Event> events;
    for (const auto& id : gone) {
      logger()->info("peer {} purged: no update for {} s", id,
                     std::chrono::duration_cast<std::chrono::seconds>(config_.purge_after).count());
      events.emplace_back(PeerDeparted{id});
    }
    publish_locked(std::move(events));
  }
}

void DiscoveryService::insert(PeerEntry entry) {
  std::lock_guard lock(mutex_);
  auto change = state_.insert_unsigned(entry);
  if (!change || *change == Change::kUnchanged) return;
  const auto held = *state_.catalog().get(entry.peer_id());
  if (*change == Change::kDiscovered) {
    publish_locked({PeerDiscovered{held}});
  } else {
    publish_locked({PeerUpdated{held}});
  }
}

bool DiscoveryService::remove(const PeerId& peer) {
  std::lock_guard lock(mutex_);
  if (!state_.remove(peer)) return false;
  publish_locked({PeerDeparted{peer}});
  return true;
}

void DiscoveryService::clear_unsigned() {
  std::lock_guard lock(mutex_);
  std::vector<Event> events;
  for (const auto& id : state_.clear_unsigned()) events.emplace_back(PeerDeparted{id});
  if (!events.empty()) publish_locked(std::move(events));
}

bool DiscoveryService::feed(const SignedPeerEntry& entry) {
  std::lock_guard lock(mutex_);
  auto change = state_.merge(entry, now());
  if (!change) {
    logger()->info("refused a fed entry of {}: {}", entry.peer_id(), to_string(change.error()));
    return false;
  }
  if (*change == Change::kDiscovered) publish_locked({PeerDiscovered{CatalogEntry(entry)}});
  if (*change == Change::kUpdated) publish_locked({PeerUpdated{CatalogEntry(entry)}});
  return true;
}

std::uint64_t DiscoveryService::rejected(Rejection r) const {
  std::lock_guard lock(mutex_);
  return state_.rejected(r);
}

}  // namespace mosaik::discovery::detail
