#include "announce.hpp"

#include "mosaik/primitives/async/timeout.hpp"
#include "mosaik/primitives/log.hpp"
#include "mosaik/transport/close_reason.hpp"
#include "discovery_log.hpp"

namespace mosaik::discovery::detail {

AnnounceProtocol::AnnounceProtocol(transport::Endpoint endpoint, NetworkId network,
                                   std::uint64_t seed, DeliverFn deliver, NeighborFn neighbor_up,
                                   TaskGroup& tasks)
    : endpoint_(std::move(endpoint)),
      network_(network),
      deliver_(std::move(deliver)),
      neighbor_up_(std::move(neighbor_up)),
      tasks_(tasks),
      node_(endpoint_.addr(), gossip::GossipConfig{}, seed) {}

gossip::Instant AnnounceProtocol::now() const {
  return std::chrono::duration_cast<gossip::Instant>(std::chrono::steady_clock::now() - origin_);
}

void AnnounceProtocol::start() {
  std::weak_ptr<AnnounceProtocol> weak = weak_from_this();
  endpoint_.register_alpn(std::string(kAlpn), [weak](transport::Connection connection) {
    if (auto self = weak.lock()) self->tasks_.spawn(self->serve_connection(std::move(connection), false));
  });
  tasks_.spawn(tick_loop());
}

void AnnounceProtocol::join(const std::vector<EndpointAddr>& contacts) {
  gossip::Actions actions;
  {
    std::lock_guard lock(mutex_);
    node_.join(contacts, now());
    actions = node_.take_actions();
  }
  run(std::move(actions));
}

void AnnounceProtocol::learn(const EndpointAddr& peer) {
  if (peer.id == endpoint_.id()) return;
  gossip::Actions actions;
  {
    std::lock_guard lock(mutex_);
    node_.learn(peer, now());
    actions = node_.take_actions();
  }
  run(std::move(actions));
}

bool AnnounceProtocol::broadcast(wire::Bytes payload, bool urgent) {
  gossip::Actions actions;
  bool fresh = false;
  {
    std::lock_guard lock(mutex_);
    const auto id = Digest::hash(payload);
    fresh = node_.broadcast(id, std::move(payload), now(), urgent);
    actions = node_.take_actions();
    if (!fresh) logger()->debug("gossip: payload {} was already broadcast", id);
  }
  run(std::move(actions));
  return fresh;
}

void AnnounceProtocol::send_direct(const wire::Bytes& payload,
                                   const std::vector<EndpointAddr>& peers) {
  gossip::Gossip gossip;
  gossip.items.push_back(gossip::GossipItem{Digest::hash(payload), 0, true, payload});
  const wire::Bytes frame = gossip::encode_message(gossip::Message(std::move(gossip)));
  for (const auto& peer : peers) enqueue(peer, frame);
}

std::vector<EndpointAddr> AnnounceProtocol::active_peers() const {
  std::lock_guard lock(mutex_);
  std::vector<EndpointAddr> out;
  for (const auto& [id, addr] : node_.membership().active_view()) out.push_back(addr);
  return out;
}

std::size_t AnnounceProtocol::open_links() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [id, p] : peers_) n += p.link.has_value();
  return n;
}

std::size_t AnnounceProtocol::queued_frames() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [id, p] : peers_) n += p.queue.size();
  return n;
}

std::uint64_t AnnounceProtocol::refused_frames() const {
  std::lock_guard lock(mutex_);
  return refused_frames_;
}

void AnnounceProtocol::run(gossip::Actions actions) {
  for (auto& action : actions) {
    if (auto* send = std::get_if<gossip::Send>(&action)) {
      logger()->trace("gossip: send kind {} to {}", send->message.index(), send->to.id);
      enqueue(send->to, gossip::encode_message(send->message));
    } else if (auto* connect = std::get_if<gossip::Connect>(&action)) {
      {
        std::lock_guard lock(mutex_);
        if (!peers_.contains(connect->peer.id)) evict_idle_locked(kMaxPeerLinks - 1);
        auto& p = peers_[connect->peer.id];
        const bool moved = !p.addr.direct_addresses.empty() && p.addr.direct_addresses != connect->peer.direct_addresses;
        p.addr = connect->peer;
        p.keep = true;
        p.dropped = false;
        if (moved) drop_link_to_old_addresses_locked(connect->peer.id, p);
      }
      neighbor_up_(connect->peer);
    } else if (auto* close = std::get_if<gossip::Close>(&action)) {
      // A former neighbour's link goes as soon as what is queued for it (the Disconnect,
      // usually) is sent: kept open, it would hold a connection on a popular peer (the
      // contact of many joins) for kIdleLinkTimeout. close_link_locked() delivers before closing.
      std::lock_guard lock(mutex_);
      if (auto it = peers_.find(close->peer); it != peers_.end()) {
        it->second.keep = false;
        it->second.dropped = true;
        if (is_idle(it->second)) {
          close_link_locked(it->first, it->second);
          peers_.erase(it);
        }
      }
    } else if (auto* deliver = std::get_if<gossip::Deliver>(&action)) {
      logger()->trace("gossip: delivered a payload of {} bytes", deliver->payload.size());
      deliver_(deliver->payload);
    }
  }
}

void AnnounceProtocol::enqueue(const EndpointAddr& to, wire::Bytes frame) {
  bool start_sender = false;
  {
    std::lock_guard lock(mutex_);
    if (!peers_.contains(to.id)) evict_idle_locked(kMaxPeerLinks - 1);
    auto& p = peers_[to.id];
    if (p.addr.direct_addresses.empty()) p.addr = to;
    p.last_used = now();
    if (p.queue.size() >= kMaxQueuedPerPeer) p.queue.pop_front();
    p.queue.push_back(std::move(frame));
    if (!p.sending) {
      p.sending = true;
      start_sender = true;
    }
  }
  if (start_sender) tasks_.spawn(send_loop(to.id));
}

asio::awaitable<void> AnnounceProtocol::send_loop(PeerId peer) {
  bool retried = false;  // a frame whose connection the peer let go goes again once
  for (;;) {
    std::optional<transport::RawLink> link;
    std::optional<wire::Bytes> frame;
    EndpointAddr addr;
    {
      std::lock_guard lock(mutex_);
      auto it = peers_.find(peer);
      if (it == peers_.end()) co_return;
      if (it->second.queue.empty()) {
        it->second.sending = false;
        if (it->second.dropped && !it->second.keep) {
          close_link_locked(it->first, it->second);
          peers_.erase(it);
          co_return;
        }
        // A burst may have grown the table past its bound while every link was busy (only
        // idle links can be evicted): trim it as the sends finish, not at the idle timeout.
        evict_idle_locked(kMaxPeerLinks);  // may erase `it`
        co_return;
      }
      frame = std::move(it->second.queue.front());
      it->second.queue.pop_front();
      link = it->second.link;
      addr = it->second.addr;
    }
    if (!link) {
      link = co_await open_link_to(peer, addr);
      if (!link) {
        report_down(peer);
        co_return;
      }
      std::lock_guard lock(mutex_);
      if (auto it = peers_.find(peer); it != peers_.end()) {
        it->second.link = link;
        // The connection it was opened on lost the tie-break meanwhile: the frame goes on
        // the shared one.
        if (move_link_off_superseded_locked(peer, it->second)) {
          it->second.queue.push_front(std::move(*frame));
          continue;
        }
      }
    }
    auto sent = co_await link->send_frame(*frame);
    if (sent) retried = false;
    if (!sent) {
      // Not a dead peer: a link moved to the connection both sides share
      // (share_connection_locked) closed under a send, or the peer closed our shared
      // connection with Success because it saw no link of ours on it as we opened one (its
      // release_connection_locked). The frame goes again, on the shared or a new connection.
      const auto& error = sent.error();
      const bool let_go = error.kind == transport::LinkError::Kind::kClosed && error.remote &&
                          error.reason == transport::close_reason::Success && !retried;
      bool again = false;
      {
        std::lock_guard lock(mutex_);
        auto it = peers_.find(peer);
        const bool moved = it != peers_.end() && (!it->second.link || it->second.link->state() != link->state());
        again = it != peers_.end() && (moved || let_go);
        if (again) it->second.queue.push_front(std::move(*frame));
        if (again && !moved) {
          it->second.link.reset();
          const auto shared = connections_.find(peer);
          if (shared != connections_.end() && shared->second.impl() == link->connection().impl()) {
            connections_.erase(shared);
          }
        }
      }
      retried = retried || let_go;
      if (again) continue;
      logger()->debug("announce send to {} failed: {}", peer, sent.error().message);
      report_down(peer);
      co_return;
    }
  }
}

void AnnounceProtocol::evict_idle_locked(std::size_t at_most) {
  for (auto it = peers_.begin(); it != peers_.end() && peers_.size() > at_most;) {
    if (is_idle(it->second)) {
      close_link_locked(it->first, it->second);
      it = peers_.erase(it);
    } else {
      ++it;
    }
  }
}

void AnnounceProtocol::close_idle_links_locked(gossip::Instant now) {
  std::erase_if(peers_, [this, now](auto& entry) {
    auto& p = entry.second;
    if (!is_idle(p) || now - p.last_used < kIdleLinkTimeout) return false;
    close_link_locked(entry.first, p);
    return true;
  });
}

bool AnnounceProtocol::is_idle(const PeerLink& peer) {
  return !peer.keep && !peer.sending && peer.queue.empty();
}

void AnnounceProtocol::report_down(const PeerId& peer) {
  gossip::Actions actions;
  {
    std::lock_guard lock(mutex_);
    peers_.erase(peer);
    node_.peer_down(peer, now());
    actions = node_.take_actions();
  }
  logger()->debug("announce link to {} failed; gossip will repair around it", peer);
  run(std::move(actions));
}

namespace {

// The transport refused what the peer sent (a frame over the limit, say): a refusal like
// serve_link's own, so the connection stays the dialer's and it sees the reason.
bool refused_by_transport(const transport::LinkError& e) {
  return e.kind == transport::LinkError::Kind::kClosed && !e.remote &&
         e.reason.code() != transport::close_reason::Success.code();
}

}  // namespace

asio::awaitable<void> AnnounceProtocol::serve_link(transport::RawLink link, PeerId from) {
  // While it is open the connection stays, whatever we do with our own link to the peer.
  // A link we refuse leaves the connection to the dialer (closing it here would replace
  // the refusal's reason with our Success).
  struct Inbound {
    AnnounceProtocol& self;
    PeerId peer;
    transport::Connection connection;
    bool refused = false;
    ~Inbound() {
      std::lock_guard lock(self.mutex_);
      const auto it = self.inbound_links_.find(connection.impl().get());
      if (it != self.inbound_links_.end() && --it->second == 0) self.inbound_links_.erase(it);
      if (!refused) self.release_connection_locked(peer, connection);
    }
  };
  {
    std::lock_guard lock(mutex_);
    ++inbound_links_[link.connection().impl().get()];
  }
  Inbound inbound{*this, from, link.connection()};
  auto hello = co_await with_timeout(link.recv_frame(), kHelloTimeout);
  if (!hello) {
    logger()->info("refused announce link from {}: no hello within {}s", from, kHelloTimeout.count());
    inbound.refused = true;
    link.close(transport::close_reason::Timeout);
    co_return;
  }
  if (!*hello) {
    logger()->debug("announce link from {} ended before its hello: {}", from, hello->error().message);
    inbound.refused = refused_by_transport(hello->error());
    co_return;
  }
  auto network = wire::decode<NetworkId>(**hello);
  std::optional<SyncHello> sync;
  if (!network && serve_sync_) {
    auto decoded = wire::decode<SyncHello>(**hello);
    if (decoded && decoded->purpose == SyncHello::kPurpose) {
      network = decoded->network;
      sync = std::move(*decoded);
    }
  }
  if (!network || *network != network_) {
    logger()->info("refused announce link from {}: {}", from,
                   network ? "different network" : "malformed hello");
    inbound.refused = true;
    link.close(network ? transport::close_reason::DifferentNetwork
                       : transport::close_reason::ProtocolViolation);
    co_return;
  }
  if (sync) {
    // A neighbour's catalog exchange on the connection we share (decision 0221); the
    // connection stays while it runs, as for any link of the peer's.
    co_await serve_sync_(std::move(link));
    co_return;
  }
  link.set_max_frame_size(kMaxGossipFrame);
  for (;;) {
    auto frame = co_await link.recv_frame();
    if (!frame) {
      inbound.refused = refused_by_transport(frame.error());
      co_return;
    }
    frames_received_.fetch_add(1, std::memory_order_relaxed);
    logger()->trace("gossip: frame of {} bytes from {}", frame->size(), from);
    gossip::Actions actions;
    bool refused = false;
    {
      std::lock_guard lock(mutex_);
      if (auto ok = node_.receive(from, *frame, now()); !ok) {
        ++refused_frames_;
        refused = true;
      }
      actions = node_.take_actions();
    }
    run(std::move(actions));
    if (refused) {
      logger()->info("refused an announce frame from {}; closing that link", from);
      inbound.refused = true;
      link.close(transport::close_reason::ProtocolViolation);
      co_return;
    }
  }
}

asio::awaitable<void> AnnounceProtocol::tick_loop() {
  for (;;) {
    co_await sleep_for(kTickInterval);
    gossip::Actions actions;
    {
      std::lock_guard lock(mutex_);
      const auto t = now();
      node_.tick(t);
      close_idle_links_locked(t);
      actions = node_.take_actions();
    }
    run(std::move(actions));
  }
}

}  // namespace mosaik::discovery::detail
