#include "endpoint_core.hpp"

#include <algorithm>

#include <asio/post.hpp>

#include "clock.hpp"
#include "connection_ids.hpp"
#include "fault_injection.hpp"
#include "transport_log.hpp"
#include "mosaik/transport/on_executor.hpp"

namespace mosaik::transport::detail {
namespace {

std::string cid_key(const std::uint8_t* data, std::size_t len) {
  return std::string(reinterpret_cast<const char*>(data), len);
}

}  // namespace

struct EndpointCore::PathSlot final : PacketSink {
  EndpointCore* core = nullptr;
  std::unique_ptr<PacketPath> path;

  void on_packet(const UdpEndpoint& from, std::span<const std::uint8_t> datagram) override {
    core->on_packet(*this, from, datagram);
  }
  // Connections batch their own writes (one posted flush per burst), nothing to do here.
  void on_batch_end() override {}
};

EndpointCore::EndpointCore(TlsIdentity identity, const EndpointConfig& config,
                           asio::any_io_executor executor, std::shared_ptr<void> keepalive)
    : identity_(std::move(identity)),
      options_{config.idle_timeout, config.keep_alive, config.handshake_timeout,
               config.stream_window_bytes, config.connection_window_bytes, config.max_streams,
               config.send_buffer_bytes,
               config.network_proof_key
                   ? std::make_shared<const NetworkSecret>(*config.network_proof_key)
                   : nullptr,
               config.withhold_network_proof, config.skip_network_proof_checks},
      max_connections_(config.max_connections),
      max_pending_handshakes_(config.max_pending_handshakes),
      max_pending_handshakes_per_source_(config.max_pending_handshakes_per_source),
      retry_from_pending_handshakes_(config.retry_from_pending_handshakes),
      max_buffered_receive_bytes_per_connection_(config.max_buffered_receive_bytes_per_connection),
      max_buffered_receive_bytes_(config.max_buffered_receive_bytes),
      executor_(std::move(executor)),
      keepalive_(std::move(keepalive)) {}

EndpointCore::~EndpointCore() { shutdown(); }

std::expected<std::shared_ptr<EndpointCore>, BindError> EndpointCore::create(
    const SecretKey& key, const EndpointConfig& config, asio::any_io_executor executor,
    std::shared_ptr<void> keepalive) {
  auto identity =
      TlsIdentity::create(std::span<const std::uint8_t, 32>(key.expose_secret_bytes()),
                          key.public_key().as_bytes());
  if (!identity) return std::unexpected(BindError{"TLS identity: " + identity.error()});
  if (config.addresses.empty()) return std::unexpected(BindError{"no address to bind"});

  std::shared_ptr<EndpointCore> core(
      new EndpointCore(std::move(*identity), config, executor, std::move(keepalive)));
  for (const auto& address : config.addresses) {
    auto path = config.packet_path_factory ? config.packet_path_factory(executor, address)
                                           : open_udp_path(executor, address);
    if (!path) return std::unexpected(BindError{path.error()});
    auto slot = std::make_unique<PathSlot>();
    slot->core = core.get();
    std::unique_ptr<PacketPath> inner = std::move(*path);
    if (config.faults) {
      auto faulty = std::make_unique<FaultInjectingPath>(executor, std::move(inner), *config.faults);
      core->fault_controls_.push_back(faulty.get());
      inner = std::move(faulty);
    }
    // Counts what the endpoint sends (before any injected fault: what it meant to send).
    slot->path = std::make_unique<CountingPath>(std::move(inner), core->traffic_);
    slot->path->start(*slot);
    core->paths_.push_back(std::move(slot));
  }
  return core;
}

std::vector<UdpEndpoint> EndpointCore::local_addresses() const {
  std::vector<UdpEndpoint> out;
  for (const auto& slot : paths_) out.push_back(slot->path->local_endpoint());
  return out;
}

bool EndpointCore::set_faults(const FaultConfig& faults) {
  for (auto* control : fault_controls_) control->set(faults);
  return !fault_controls_.empty();
}

void EndpointCore::register_cid(const ngtcp2_cid& cid, QuicConnection& conn) {
  by_cid_[cid_key(cid.data, cid.datalen)] = &conn;
}

void EndpointCore::unregister_cid(const ngtcp2_cid& cid) {
  by_cid_.erase(cid_key(cid.data, cid.datalen));
}

void EndpointCore::on_packet(PathSlot& slot, const UdpEndpoint& from,
                             std::span<const std::uint8_t> packet) {
  traffic_->received(packet.size());
  // ngtcp2 0.12 asserts (aborts the process) on an empty datagram instead of refusing it.
  if (packet.empty()) return;
  ngtcp2_version_cid vc;
  if (ngtcp2_pkt_decode_version_cid(&vc, packet.data(), packet.size(), kCidLength) != 0) {
    return;  // not a QUIC v1 packet we can route: dropped, as UDP noise
  }
  auto it = by_cid_.find(cid_key(vc.dcid, vc.dcidlen));
  if (it != by_cid_.end()) {
    auto conn = it->second->shared_from_this();  // alive for the whole call
    conn->on_packet(from, packet);
    return;
  }
  if (vc.version != 0) accept_new(slot, from, packet);
}

void EndpointCore::accept_new(PathSlot& slot, const UdpEndpoint& from,
                              std::span<const std::uint8_t> packet) {
  if (shut_down_ || router_.empty()) return;
  ngtcp2_pkt_hd hd;
  if (ngtcp2_accept(&hd, packet.data(), packet.size()) != 0) return;
  // A token proves the source address; a forged, expired or foreign one is told so.
  std::optional<ngtcp2_cid> original_dcid;
  if (AddressValidation::carries_retry_token(hd)) {
    original_dcid = address_validation_.verify(hd, from, now_ns());
    if (!original_dcid) {
      send_stateless(slot, from, AddressValidation::invalid_token_close(hd));
      traffic_->failed(HandshakeFailure::kInvalidToken);
      return;
    }
  }
  // Handshake state costs memory before the peer proved anything: bounded in all and per
  // source address. Past a bound nothing is kept: a proven client is refused, so it backs
  // off at once instead of retransmitting into silence until its idle timeout; an unproven
  // one is asked to prove its address first (a Retry is smaller than the Initial that
  // caused it, so spoofed sources gain no amplification).
  const auto source = pending_by_source_.find(from.address());
  const bool full = connections_.size() >= max_connections_ ||
                    pending_handshakes_.size() >= max_pending_handshakes_ ||
                    (source != pending_by_source_.end() && source->second >= max_pending_handshakes_per_source_);
  if (full) {
    send_stateless(slot, from, original_dcid ? AddressValidation::busy_close(hd)
                                             : address_validation_.retry(hd, from, now_ns()));
    if (original_dcid) traffic_->failed(HandshakeFailure::kBusy);  // a Retry is no refusal
    return;
  }
  // Under load an unproven source gets a Retry and no state.
  if (!original_dcid && pending_handshakes_.size() >= retry_from_pending_handshakes_) {
    send_stateless(slot, from, address_validation_.retry(hd, from, now_ns()));
    return;
  }
  auto conn = QuicConnection::create_server(executor_, *this, *slot.path, identity_, options_,
                                            {from, hd, router_.alpns(), original_dcid});
  if (!conn) return;
  ++pending_by_source_[from.address()];
  pending_handshakes_.emplace(conn->get(), from.address());
  connections_.emplace(conn->get(), *conn);
  count_connections();
  (*conn)->on_packet(from, packet);
}

void EndpointCore::send_stateless(PathSlot& slot, const UdpEndpoint& to,
                                  const std::vector<std::uint8_t>& packet) {
  if (!packet.empty()) slot.path->send(to, packet, packet.size());
}

std::size_t EndpointCore::open_connections() const {
  return static_cast<std::size_t>(std::count_if(connections_.begin(), connections_.end(), [](const auto& c) {
    return c.second->state() == QuicConnection::State::kHandshaking ||
           c.second->state() == QuicConnection::State::kOpen;
  }));
}

void EndpointCore::handshake_done(QuicConnection& conn) {
  auto it = pending_handshakes_.find(&conn);
  if (it == pending_handshakes_.end()) return;
  if (auto source = pending_by_source_.find(it->second);
      source != pending_by_source_.end() && --source->second == 0) {
    pending_by_source_.erase(source);
  }
  pending_handshakes_.erase(it);
}

bool EndpointCore::admits_alpn(QuicConnection& conn, const std::string& alpn) {
  const auto* route = router_.find(alpn);
  if (route == nullptr || route->max_connections == SIZE_MAX) return true;
  // Counted when asked (a ClientHello: once per accepted connection) rather than kept up to
  // date through every state change; closing connections no longer count.
  const auto held = static_cast<std::size_t>(std::count_if(connections_.begin(), connections_.end(), [&](const auto& c) {
    const auto state = c.second->state();
    return c.first != &conn && c.second->is_server() && c.second->alpn() == alpn &&
           (state == QuicConnection::State::kHandshaking || state == QuicConnection::State::kOpen);
  }));
  if (held < route->max_connections) return true;
  // Refused before the handshake's work: its slot among the pending handshakes is free now,
  // not once the refusal's closing period ends.
  handshake_done(conn);
  traffic_->failed(HandshakeFailure::kBusy);
  transport_logger()->debug("refusing a connection from {} for {}: {} held, the bound", conn.remote(), alpn, held);
  return false;
}

void EndpointCore::on_accepted(QuicConnection& conn) {
  handshake_done(conn);
  const auto* route = router_.find(conn.alpn());
  if (route == nullptr) {
    traffic_->failed(HandshakeFailure::kInvalidAlpn);
    conn.close(close_reason::InvalidAlpn);
    return;
  }
  // Run the handler after the packet that completed the handshake is fully processed.
  asio::post(executor_, [h = route->handler, c = Connection(conn.shared_from_this(), keepalive_)] {
    h(c);
  });
}

void EndpointCore::on_finished(QuicConnection& conn) {
  if (pending_handshakes_.contains(&conn)) traffic_->failed(HandshakeFailure::kIncomplete);
  handshake_done(conn);  // a handshake that failed or timed out
  // The connection holds a reference to itself during this call, so erasing is safe.
  connections_.erase(&conn);
  count_connections();
  std::erase_if(dialed_, [](const auto& entry) { return entry.second.expired(); });
}

void EndpointCore::on_buffered_receive_changed(QuicConnection& conn, std::int64_t delta) {
  buffered_receive_bytes_ =
      static_cast<std::uint64_t>(static_cast<std::int64_t>(buffered_receive_bytes_) + delta);
  if (delta <= 0) return;
  QuicConnection* victim = nullptr;
  if (conn.buffered_receive_bytes() > max_buffered_receive_bytes_per_connection_) {
    victim = &conn;
  } else if (buffered_receive_bytes_ > max_buffered_receive_bytes_) {
    victim = &conn;  // over the node's bound: the connection holding the most goes
    for (const auto& [ptr, c] : connections_) {
      if (c->buffered_receive_bytes() > victim->buffered_receive_bytes()) victim = ptr;
    }
  } else {
    return;
  }
  // We are inside ngtcp2's packet processing: the close runs on the next loop turn.
  if (victim->state() != QuicConnection::State::kOpen ||
      !victim->close_soon(close_reason::ResourceExhausted)) {
    return;
  }
  transport_logger()->warn("closing the connection of {}: it holds {} received bytes not yet read "
                 "(bounds: {} per connection, {} in all, {} now)",
                 PeerId::from_bytes(victim->peer_key()), victim->buffered_receive_bytes(),
                 max_buffered_receive_bytes_per_connection_, max_buffered_receive_bytes_,
                 buffered_receive_bytes_);
}

EndpointCore::PathSlot* EndpointCore::slot_for(const UdpEndpoint& remote) {
  for (auto& slot : paths_) {
    if (slot->path->local_endpoint().protocol() == remote.protocol()) return slot.get();
  }
  return nullptr;
}

PacketPath* EndpointCore::path_to(const UdpEndpoint& remote) {
  PathSlot* slot = slot_for(remote);
  return slot == nullptr ? nullptr : slot->path.get();
}

void EndpointCore::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  auto connections = std::move(connections_);
  connections_.clear();
  pending_handshakes_.clear();
  pending_by_source_.clear();
  for (auto& [ptr, conn] : connections) conn->shutdown_and_detach(close_reason::GracefulShutdown);
  by_cid_.clear();
  dialed_.clear();
  router_ = AlpnRouter{};
  for (auto& slot : paths_) slot->path->close();
}

}  // namespace mosaik::transport::detail
