#include "quic_connection.hpp"

#include <asio/post.hpp>
#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "clock.hpp"
#include "connection_ids.hpp"
#include "transport_log.hpp"

namespace mosaik::transport::detail {
namespace {

// Loopback carries datagrams of up to 64 KiB unfragmented (TCP there uses a 64 KiB MSS).
// Packets of 16 KiB cut the per-packet work (ngtcp2, one AEAD call, kernel segments) about
// tenfold against 1200-1452 bytes; every other path keeps ngtcp2's shaping to 1200 bytes
// plus path MTU discovery. See docs/decisions/0203-loopback-packet-size.md.
constexpr std::size_t kLoopbackPacketSize = 16384;

ngtcp2_addr as_addr(UdpEndpoint& ep) {
  return {static_cast<ngtcp2_sockaddr*>(ep.data()), static_cast<ngtcp2_socklen>(ep.size())};
}


}  // namespace

QuicConnection::QuicConnection(asio::any_io_executor executor, ConnectionHost& host,
                               PacketPath& path, const ConnectionOptions& options, bool is_server,
                               UdpEndpoint remote)
    : executor_(executor),
      host_(&host),
      path_(&path),
      options_(options),
      is_server_(is_server),
      remote_(remote),
      local_(path.local_endpoint()),
      established_(executor),
      streams_changed_(executor),
      admission_timer_(executor),
      timer_(executor),
      tx_buffer_(kMaxPacketsPerFlush * kMaxPacketSize) {}

QuicConnection::~QuicConnection() = default;

namespace {

void fill_settings(ngtcp2_settings& settings, const ConnectionOptions& options,
                   const UdpEndpoint& remote) {
  ngtcp2_settings_default(&settings);
  if (remote.address().is_loopback()) {
    // The size then follows the buffer flush() hands ngtcp2 (1200 bytes until the handshake
    // completes, so handshake datagrams are not padded to 16 KiB).
    settings.no_tx_udp_payload_size_shaping = 1;
    settings.max_tx_udp_payload_size = kLoopbackPacketSize;
  }
  settings.initial_ts = now_ns();
  settings.handshake_timeout = static_cast<ngtcp2_duration>(options.handshake_timeout.count());
}

void fill_params(ngtcp2_transport_params& params, const ConnectionOptions& options) {
  ngtcp2_transport_params_default(&params);
  params.initial_max_stream_data_bidi_local = options.stream_window_bytes;
  params.initial_max_stream_data_bidi_remote = options.stream_window_bytes;
  params.initial_max_stream_data_uni = 0;
  params.initial_max_data = options.connection_window_bytes;
  params.initial_max_streams_bidi = options.max_streams;
  params.initial_max_streams_uni = 0;
  params.max_idle_timeout = static_cast<ngtcp2_duration>(options.idle_timeout.count());
  params.disable_active_migration = 1;  // a connection keeps its path (decision 0214)
  if (options.network_proof_key) {
    // One unidirectional stream each way carries the network proof (quic_admission.cpp). A
    // peer that allows none holds no network secret.
    params.initial_max_streams_uni = 1;
    params.initial_max_stream_data_uni = kNetworkProofSize;
  }
}

}  // namespace

std::expected<std::shared_ptr<QuicConnection>, std::string> QuicConnection::create_client(
    asio::any_io_executor executor, ConnectionHost& host, PacketPath& path,
    const TlsIdentity& identity, const ConnectionOptions& options, ClientParams params) {
  std::shared_ptr<QuicConnection> c(
      new QuicConnection(executor, host, path, options, false, params.remote));
  c->expected_peer_ = params.expected_peer;
  c->alpn_ = params.alpn;

  ngtcp2_settings settings;
  fill_settings(settings, options, c->remote_);
  ngtcp2_transport_params tp;
  fill_params(tp, options);
  const ngtcp2_cid dcid = random_cid();
  const ngtcp2_cid scid = random_cid();
  ngtcp2_path p{as_addr(c->local_), as_addr(c->remote_), nullptr};
  ngtcp2_conn* raw = nullptr;
  if (int rv = ngtcp2_conn_client_new(&raw, &dcid, &scid, &p, NGTCP2_PROTO_VER_V1, &callbacks(),
                                      &settings, &tp, c->ngtcp2_arena_.mem(), c.get());
      rv != 0) {
    return std::unexpected(std::string("ngtcp2_conn_client_new: ") + ngtcp2_strerror(rv));
  }
  c->conn_.reset(raw);
  if (auto tls = c->setup_tls(identity, {params.alpn}); !tls) return std::unexpected(tls.error());
  ngtcp2_conn_set_tls_native_handle(raw, c->session_.get());
  host.register_cid(scid, *c);
  c->flush();
  return c;
}

std::expected<std::shared_ptr<QuicConnection>, std::string> QuicConnection::create_server(
    asio::any_io_executor executor, ConnectionHost& host, PacketPath& path,
    const TlsIdentity& identity, const ConnectionOptions& options, ServerParams params) {
  std::shared_ptr<QuicConnection> c(
      new QuicConnection(executor, host, path, options, true, params.remote));

  ngtcp2_settings settings;
  fill_settings(settings, options, c->remote_);
  ngtcp2_transport_params tp;
  fill_params(tp, options);
  tp.original_dcid = params.initial.dcid;
  if (params.original_dcid) {  // validated through Retry: the client checks both IDs
    tp.original_dcid = *params.original_dcid;
    tp.retry_scid = params.initial.dcid;
    tp.retry_scid_present = 1;
    settings.token = params.initial.token;  // the address is proven: no amplification limit
  }
  tp.stateless_reset_token_present = 1;
  randombytes_buf(tp.stateless_reset_token, sizeof tp.stateless_reset_token);
  const ngtcp2_cid scid = random_cid();
  ngtcp2_path p{as_addr(c->local_), as_addr(c->remote_), nullptr};
  ngtcp2_conn* raw = nullptr;
  if (int rv = ngtcp2_conn_server_new(&raw, &params.initial.scid, &scid, &p,
                                      params.initial.version, &callbacks(), &settings, &tp,
                                      c->ngtcp2_arena_.mem(), c.get());
      rv != 0) {
    return std::unexpected(std::string("ngtcp2_conn_server_new: ") + ngtcp2_strerror(rv));
  }
  c->conn_.reset(raw);
  if (auto tls = c->setup_tls(identity, params.alpns); !tls) return std::unexpected(tls.error());
  ngtcp2_conn_set_tls_native_handle(raw, c->session_.get());
  // The client keeps addressing us by its random initial DCID until it learns ours.
  c->routing_cids_.push_back(params.initial.dcid);
  host.register_cid(params.initial.dcid, *c);
  host.register_cid(scid, *c);
  return c;
}

std::chrono::nanoseconds QuicConnection::smoothed_rtt() const {
  if (!conn_) return {};
  ngtcp2_conn_stat stat;
  ngtcp2_conn_get_conn_stat(conn_.get(), &stat);
  return std::chrono::nanoseconds(stat.smoothed_rtt);
}

void QuicConnection::on_packet(const UdpEndpoint& from, std::span<const std::uint8_t> packet) {
  auto self = shared_from_this();
  switch (state_) {
    case State::kClosing:
      // The peer has not seen our close yet: repeat it (one per packet received).
      if (path_ != nullptr && !close_packet_.empty()) {
        path_->send(remote_, close_packet_, close_packet_.size());
      }
      return;
    case State::kDraining:
    case State::kFinished:
      return;
    default:
      break;
  }
  if (from != remote_) {
    // A packet from another address than the connection's is never handed to ngtcp2: we do
    // not support migration (disable_active_migration), and ngtcp2 0.12 aborts the process
    // on a packet from a new path while path MTU discovery runs, and (with discovery off) on
    // the validation of one (docs/decisions/0214). The connection stays on its path.
    ++foreign_path_packets_;
    return;
  }
  UdpEndpoint remote = from;
  ngtcp2_path p{as_addr(local_), as_addr(remote), nullptr};
  ngtcp2_pkt_info pi{};
  const bool was_complete = ngtcp2_conn_get_handshake_completed(conn_.get()) != 0;
  int rv = ngtcp2_conn_read_pkt(conn_.get(), &p, &pi, packet.data(), packet.size(), now_ns());
  if (rv != 0) {
    on_read_error(rv);
    return;
  }
  if (!was_complete && ngtcp2_conn_get_handshake_completed(conn_.get()) != 0) after_handshake();
  advance_admission();
  schedule_flush();
}

void QuicConnection::after_handshake() {
  if (state_ != State::kHandshaking) return;
  // The negotiated protocol must be the one asked for (client) or one we serve (server).
  gnutls_datum_t selected{};
  const bool has_alpn =
      gnutls_alpn_get_selected_protocol(session_.get(), &selected) == 0 && selected.size > 0;
  const std::string negotiated =
      has_alpn ? std::string(reinterpret_cast<const char*>(selected.data), selected.size) : "";
  if (!peer_verified_) {
    // Cannot happen with a certificate required on both sides; refuse rather than trust.
    close(close_reason::UnknownPeer);
    return;
  }
  if (!has_alpn || (!is_server_ && negotiated != alpn_)) {
    const std::string wanted = is_server_ ? "(unknown)" : alpn_;
    handshake_error_ = ConnectError{ConnectError::Kind::kInvalidAlpn, close_reason::InvalidAlpn,
                                    "the peer does not serve ALPN " + wanted};
    close(close_reason::InvalidAlpn);
    return;
  }
  alpn_ = negotiated;
  // Only the dialer pings: its ping and the acknowledgement carry a packet each way, which
  // restarts both ends' idle timers, so a dead peer is noticed on both sides as before. Pings
  // from both ends added about a tenth to an idle discovery node's packets (decision 0216).
  if (!is_server_) {
    ngtcp2_conn_set_keep_alive_timeout(conn_.get(),
                                       static_cast<ngtcp2_duration>(options_.keep_alive.count()));
  }
  begin_admission();
}

void QuicConnection::admit() {
  transport_logger()->debug("connection {} {} at {} open ({})", is_server_ ? "from" : "to",
                            mosaik::PeerId::from_bytes(peer_key_), remote_, alpn_);
  state_ = State::kOpen;
  established_.notify();
  if (is_server_ && host_ != nullptr) host_->on_accepted(*this);
}

asio::awaitable<std::expected<void, ConnectError>> QuicConnection::wait_established() {
  auto self = shared_from_this();
  for (;;) {
    if (state_ == State::kOpen) co_return std::expected<void, ConnectError>{};
    if (handshake_error_) co_return std::unexpected(*handshake_error_);
    if (state_ != State::kHandshaking) {
      co_return std::unexpected(ConnectError{ConnectError::Kind::kClosed, std::nullopt,
                                             "the connection closed during the handshake"});
    }
    if (!co_await established_.wait()) {
      co_return std::unexpected(
          ConnectError{ConnectError::Kind::kClosed, close_reason::Cancelled, "connect cancelled"});
    }
  }
}

void QuicConnection::fail_handshake(ConnectError error) {
  if (!handshake_error_) handshake_error_ = std::move(error);
  established_.notify();
}

void QuicConnection::on_timer() {
  if (state_ != State::kHandshaking && state_ != State::kOpen) return;
  auto self = shared_from_this();
  const int rv = ngtcp2_conn_handle_expiry(conn_.get(), now_ns());
  if (rv == NGTCP2_ERR_IDLE_CLOSE) {
    transport_logger()->debug("connection with {} at {}: silent past the idle timeout ({} ms), closed",
                              mosaik::PeerId::from_bytes(peer_key_), remote_,
                              std::chrono::duration_cast<std::chrono::milliseconds>(options_.idle_timeout).count());
    fail_everything(LinkError{LinkError::Kind::kTimedOut, close_reason::UnexpectedClose, false,
                              "the peer went silent past the idle timeout"});
    if (state_ == State::kHandshaking) {
      fail_handshake(ConnectError{ConnectError::Kind::kTimedOut, std::nullopt, "idle timeout"});
    }
    finish();
    return;
  }
  if (rv == NGTCP2_ERR_HANDSHAKE_TIMEOUT) {
    fail_handshake(
        ConnectError{ConnectError::Kind::kTimedOut, std::nullopt, "the handshake timed out"});
    fail_everything(LinkError{LinkError::Kind::kTimedOut, close_reason::UnexpectedClose, false,
                              "the handshake timed out"});
    finish();
    return;
  }
  if (rv != 0) {
    on_read_error(rv);
    return;
  }
  flush();
}

void QuicConnection::arm_timer() {
  if (state_ != State::kHandshaking && state_ != State::kOpen) return;
  const ngtcp2_tstamp expiry = ngtcp2_conn_get_expiry(conn_.get());
  // A timer armed earlier than needed just fires early (on_timer re-arms it): re-arming
  // costs syscalls on every packet, firing early costs one wake-up now and then.
  if (expiry >= armed_expiry_ && armed_expiry_ != UINT64_MAX) return;
  if (expiry == UINT64_MAX) {
    if (armed_expiry_ != UINT64_MAX) timer_.cancel();
    armed_expiry_ = UINT64_MAX;
    return;
  }
  const ngtcp2_tstamp now = now_ns();
  if (expiry <= now && immediate_expiries_ < kMaxImmediateExpiries) {
    // Already due: run it on the next loop turn rather than through the kernel timer, which
    // stays armed as it is (re-arming it would cost the syscalls this avoids).
    if (expiry_posted_) return;
    expiry_posted_ = true;
    ++immediate_expiries_;
    asio::post(executor_, [weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        self->expiry_posted_ = false;
        self->on_timer();
      }
    });
    return;
  }
  if (expiry > now) immediate_expiries_ = 0;
  armed_expiry_ = expiry;
  timer_.expires_after(std::chrono::nanoseconds(expiry > now ? expiry - now : 0));
  timer_.async_wait([weak = weak_from_this()](std::error_code ec) {
    if (auto self = weak.lock(); self && !ec) {
      self->armed_expiry_ = UINT64_MAX;
      self->on_timer();
    }
  });
}

void QuicConnection::schedule_flush() {
  if (flush_scheduled_ || in_flush_) return;
  flush_scheduled_ = true;
  asio::post(executor_, [weak = weak_from_this()] {
    if (auto self = weak.lock()) {
      self->flush_scheduled_ = false;
      self->flush();
    }
  });
}

void QuicConnection::send_packets(std::span<const std::uint8_t> data, std::size_t segment_size) {
  if (path_ != nullptr && !data.empty()) path_->send(remote_, data, segment_size);
}

}  // namespace mosaik::transport::detail
