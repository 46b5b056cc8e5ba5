// The announce protocol's connections (announce.hpp): two neighbours share one, whichever
// dialed it. Our link to a peer opens on the shared connection, links the peer opens on a
// connection we dialed are served, a simultaneous dial is settled by a tie-break both sides
// apply alike, and a connection closes once neither side has a link on it (decision 0216).
#include "announce.hpp"

#include "mosaik/primitives/async/timeout.hpp"
#include "mosaik/primitives/log.hpp"
#include "mosaik/transport/close_reason.hpp"
#include "discovery_log.hpp"

namespace mosaik::discovery::detail {
namespace {

// Closes a link once the peer acknowledged what was sent on it (a Disconnect, usually),
// or after `limit` when it stops acknowledging.
asio::awaitable<void> close_when_delivered(transport::RawLink link, std::chrono::milliseconds limit) {
  (void)co_await with_timeout(link.until_delivered(), limit);
  link.close(transport::close_reason::Success);
}

}  // namespace

asio::awaitable<std::optional<transport::RawLink>> AnnounceProtocol::open_link_to(PeerId peer,
                                                                                EndpointAddr addr) {
  std::optional<transport::Connection> shared;
  {
    std::lock_guard lock(mutex_);
    if (auto it = connections_.find(peer); it != connections_.end()) shared = it->second;
  }
  // Every announce link starts with our network id (checked by the acceptor).
  const wire::Bytes hello = wire::encode(network_);
  std::optional<transport::RawLink> raw;
  if (shared) {
    auto opened = co_await shared->open_link();
    if (opened) {
      auto sent = co_await opened->send_frame(hello);
      if (sent) co_return std::move(*opened);
    }
  }
  {
    // None shared, or it closed meanwhile: dial (the endpoint reuses a connection we dialed,
    // unless it is closing).
    auto connection = co_await endpoint_.connect(addr, std::string(kAlpn));
    if (!connection) {
      logger()->debug("announce connect to {} failed: {}", peer, connection.error().message);
      co_return std::nullopt;
    }
    serve_dialed(*connection);
    auto opened = co_await connection->open_link();
    if (!opened) co_return std::nullopt;
    raw = std::move(*opened);
  }
  auto sent = co_await raw->send_frame(hello);
  if (!sent) co_return std::nullopt;
  co_return raw;
}

asio::awaitable<std::optional<transport::RawLink>> AnnounceProtocol::open_sync_link(PeerId peer) {
  std::optional<transport::Connection> shared;
  {
    std::lock_guard lock(mutex_);
    if (auto it = connections_.find(peer); it != connections_.end()) shared = it->second;
  }
  if (!shared) co_return std::nullopt;
  auto opened = co_await shared->open_link();
  if (!opened) co_return std::nullopt;
  const auto hello = wire::encode(SyncHello{network_, std::string(SyncHello::kPurpose)});
  if (!co_await opened->send_frame(hello)) co_return std::nullopt;
  co_return std::move(*opened);
}

void AnnounceProtocol::serve_dialed(const transport::Connection& connection) {
  bool start = false;
  {
    std::lock_guard lock(mutex_);
    start = serving_.insert(connection.impl().get()).second;
  }
  if (start) tasks_.spawn(serve_connection(connection, true));
}

void AnnounceProtocol::close_link_locked(const PeerId& peer, const PeerLink& p) {
  if (!p.link) return;
  auto connection = p.link->connection();
  if (inbound_links_.contains(connection.impl().get())) {
    // The peer still sends to us on this connection: only our link goes (the peer closes
    // the connection when it drops its own link). What we sent is delivered first.
    tasks_.spawn(close_when_delivered(*p.link, kIdleLinkTimeout));
    return;
  }
  // Nothing else on it: the connection goes too, or it would stay open (kept alive by its
  // pings) on both sides. What was just sent on it is delivered first.
  connection.close_after_delivery(transport::close_reason::Success);
  if (auto it = connections_.find(peer); it != connections_.end() && it->second.impl() == connection.impl()) {
    connections_.erase(it);
  }
}

void AnnounceProtocol::drop_link_to_old_addresses_locked(const PeerId& peer, PeerLink& p) {
  if (!p.link) return;
  const auto connection = p.link->connection();
  if (p.addr.direct_addresses.contains(connection.remote_address())) return;
  // Closed, not released after delivery: what we queued on it would wait for the idle
  // timeout of a dead process. Success, so that a live peer (one that dialed us from an
  // address it does not advertise) opens its links again rather than taking us for gone.
  transport::Connection(connection).close(transport::close_reason::Success);
  if (auto it = connections_.find(peer); it != connections_.end() && it->second.impl() == connection.impl()) {
    connections_.erase(it);
  }
  p.link.reset();
}

void AnnounceProtocol::release_connection_locked(const PeerId& peer,
                                                 const transport::Connection& connection) {
  if (inbound_links_.contains(connection.impl().get())) return;
  const auto shared = connections_.find(peer);
  const bool is_shared = shared != connections_.end() && shared->second.impl() == connection.impl();
  if (auto it = peers_.find(peer); it != peers_.end()) {
    // Our link to the peer is on it, or is about to be opened on it.
    const auto& p = it->second;
    if (p.link ? p.link->connection().impl() == connection.impl() : p.sending && is_shared) return;
  }
  transport::Connection(connection).close_after_delivery(transport::close_reason::Success);
  if (is_shared) connections_.erase(shared);
}

void AnnounceProtocol::share_connection_locked(const transport::Connection& connection, bool dialed_by_us) {
  const PeerId peer = connection.peer_id();
  const auto [it, added] = connections_.try_emplace(peer, connection);
  if (added || it->second.impl() == connection.impl()) return;
  // Both sides dialed at once (a Join crossing a Neighbor request): each would send on its
  // own connection and both would stay. Both sides keep the one the smaller id dialed.
  // Unless the two go to different addresses: then the peer restarted with the same key on
  // a new port (or moved), the one we held goes to its old process, which looks alive until
  // the idle timeout, and the new one wins.
  const bool smaller_dialed = dialed_by_us == (endpoint_.id() < peer);
  const bool moved = it->second.remote_address() != connection.remote_address();
  if (smaller_dialed || moved) {
    superseded_.insert(it->second.impl().get());
    it->second = connection;
  } else {
    superseded_.insert(connection.impl().get());
  }
  // Our link may be on the loser, or being opened on it (the send loop checks when it
  // stores the link): it moves to the shared connection.
  if (auto p = peers_.find(peer); p != peers_.end()) move_link_off_superseded_locked(peer, p->second);
}

bool AnnounceProtocol::move_link_off_superseded_locked(const PeerId& peer, PeerLink& p) {
  if (!p.link || !superseded_.contains(p.link->connection().impl().get())) return false;
  // With the winner gone too, the loser is as good as any (a dial may return it again).
  const auto shared = connections_.find(peer);
  if (shared == connections_.end() || shared->second.impl() == p.link->connection().impl()) return false;
  // The old link goes once delivered, and the old connection once the peer's link on it
  // (if any) goes too: the peer applies the same tie-break and moves its link as well.
  close_link_locked(peer, p);
  p.link.reset();
  return true;
}

asio::awaitable<void> AnnounceProtocol::serve_connection(transport::Connection connection, bool dialed_by_us) {
  const PeerId from = connection.peer_id();
  logger()->trace("gossip: announce connection with {}", from);
  {
    std::lock_guard lock(mutex_);
    serving_.insert(connection.impl().get());  // already there when we dialed it
    share_connection_locked(connection, dialed_by_us);
  }
  struct Forget {
    AnnounceProtocol& self;
    const transport::Connection& connection;
    ~Forget() {
      std::lock_guard lock(self.mutex_);
      self.serving_.erase(connection.impl().get());
      self.superseded_.erase(connection.impl().get());
      const auto it = self.connections_.find(connection.peer_id());
      if (it != self.connections_.end() && it->second.impl() == connection.impl()) self.connections_.erase(it);
    }
  } forget{*this, connection};
  for (;;) {
    auto link = co_await connection.accept_link(kMaxHelloFrame);
    logger()->trace("gossip: accept_link from {}: {}", from, link.has_value() ? "ok" : link.error().message);
    if (!link) co_return;
    tasks_.spawn(serve_link(std::move(*link), from));
  }
}

}  // namespace mosaik::discovery::detail
