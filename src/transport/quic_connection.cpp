#include "quic_connection.hpp"

#include <asio/post.hpp>
#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "clock.hpp"

namespace mosaik::transport::detail {
namespace {

constexpr std::size_t kCidLength = 16;
// Packets written per flush before yielding to the loop (GSO batches are at most this).
constexpr std::size_t kMaxPacketsPerFlush = 64;
constexpr std::size_t kMaxPacketSize = 1500;

ngtcp2_cid random_cid() {
  ngtcp2_cid cid;
  cid.datalen = kCidLength;
  randombytes_buf(cid.data, kCidLength);
  return cid;
}

ngtcp2_addr as_addr(UdpEndpoint& ep) {
  return {static_cast<ngtcp2_sockaddr*>(ep.data()), static_cast<ngtcp2_socklen>(ep.size())};
}

LinkError closed_error(const CloseReason& reason, bool remote, std::string message) {
  return LinkError{LinkError::Kind::kClosed, reason, remote, std::move(message)};
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
      timer_(executor),
      tx_buffer_(kMaxPacketsPerFlush * kMaxPacketSize) {}

QuicConnection::~QuicConnection() = default;

namespace {

void fill_settings(ngtcp2_settings& settings, const ConnectionOptions& options) {
  ngtcp2_settings_default(&settings);
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
  fill_settings(settings, options);
  ngtcp2_transport_params tp;
  fill_params(tp, options);
  const ngtcp2_cid dcid = random_cid();
  const ngtcp2_cid scid = random_cid();
  ngtcp2_path p{as_addr(c->local_), as_addr(c->remote_), nullptr};
  ngtcp2_conn* raw = nullptr;
  if (int rv = ngtcp2_conn_client_new(&raw, &dcid, &scid, &p, NGTCP2_PROTO_VER_V1, &callbacks(),
                                      &settings, &tp, nullptr, c.get());
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
  fill_settings(settings, options);
  ngtcp2_transport_params tp;
  fill_params(tp, options);
  tp.original_dcid = params.initial.dcid;
  tp.stateless_reset_token_present = 1;
  randombytes_buf(tp.stateless_reset_token, sizeof tp.stateless_reset_token);
  const ngtcp2_cid scid = random_cid();
  ngtcp2_path p{as_addr(c->local_), as_addr(c->remote_), nullptr};
  ngtcp2_conn* raw = nullptr;
  if (int rv = ngtcp2_conn_server_new(&raw, &params.initial.scid, &scid, &p,
                                      params.initial.version, &callbacks(), &settings, &tp,
                                      nullptr, c.get());
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
  state_ = State::kOpen;
  ngtcp2_conn_set_keep_alive_timeout(conn_.get(),
                                     static_cast<ngtcp2_duration>(options_.keep_alive.count()));
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

void QuicConnection::on_read_error(int liberr) {
  switch (liberr) {
    case NGTCP2_ERR_DRAINING:
      enter_draining();
      return;
    case NGTCP2_ERR_DROP_CONN:
    case NGTCP2_ERR_RETRY:  // we never send Retry; such a packet is not for us
      fail_everything(LinkError{LinkError::Kind::kTransport, close_reason::UnexpectedClose, false,
                                "connection dropped"});
      finish();
      return;
    default:
      break;
  }
  ngtcp2_connection_close_error ccerr;
  ngtcp2_connection_close_error_default(&ccerr);
  std::string why;
  if (liberr == NGTCP2_ERR_CRYPTO) {
    ngtcp2_connection_close_error_set_transport_error_tls_alert(
        &ccerr, ngtcp2_conn_get_tls_alert(conn_.get()), nullptr, 0);
    why = tls_failure_.empty() ? "TLS handshake failed" : tls_failure_;
  } else {
    ngtcp2_connection_close_error_set_transport_error_liberr(&ccerr, liberr, nullptr, 0);
    why = std::string("QUIC error: ") + ngtcp2_strerror(liberr);
  }
  if (state_ == State::kHandshaking) {
    fail_handshake(ConnectError{peer_mismatch_ ? ConnectError::Kind::kPeerMismatch
                                               : ConnectError::Kind::kHandshakeFailed,
                                std::nullopt, why});
  }
  enter_closing(ccerr, LinkError{LinkError::Kind::kTransport, close_reason::UnexpectedClose,
                                 false, why});
}

void QuicConnection::close(const CloseReason& reason) {
  if (state_ != State::kHandshaking && state_ != State::kOpen) return;
  auto self = shared_from_this();
  if (state_ == State::kHandshaking) {
    fail_handshake(ConnectError{reason == close_reason::InvalidAlpn
                                    ? ConnectError::Kind::kInvalidAlpn
                                    : ConnectError::Kind::kClosed,
                                reason, fmt::format("closed locally with {}", reason)});
  }
  ngtcp2_connection_close_error ccerr;
  ngtcp2_connection_close_error_default(&ccerr);
  ngtcp2_connection_close_error_set_application_error(&ccerr, reason.code(), nullptr, 0);
  enter_closing(ccerr, closed_error(reason, false, fmt::format("closed locally with {}", reason)));
}

void QuicConnection::enter_closing(const ngtcp2_connection_close_error& ccerr,
                                   LinkError for_streams) {
  fail_everything(for_streams);
  close_packet_.resize(kMaxPacketSize);
  UdpEndpoint remote = remote_;
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi{};
  const auto n = ngtcp2_conn_write_connection_close(conn_.get(), &ps.path, &pi,
                                                    close_packet_.data(), close_packet_.size(),
                                                    &ccerr, now_ns());
  (void)remote;
  if (n <= 0) {
    // Nothing can be sent in this state (e.g. before any key exists): just end.
    close_packet_.clear();
    finish();
    return;
  }
  close_packet_.resize(static_cast<std::size_t>(n));
  state_ = State::kClosing;
  if (path_ != nullptr) path_->send(remote_, close_packet_, close_packet_.size());
  timer_.expires_after(std::chrono::nanoseconds(3 * ngtcp2_conn_get_pto(conn_.get())));
  armed_expiry_ = UINT64_MAX;
  timer_.async_wait([weak = weak_from_this()](std::error_code ec) {
    if (auto self = weak.lock(); self && !ec) self->finish();
  });
}

void QuicConnection::enter_draining() {
  ngtcp2_connection_close_error ccerr;
  ngtcp2_conn_get_connection_close_error(conn_.get(), &ccerr);
  LinkError error{LinkError::Kind::kTransport, close_reason::UnexpectedClose, true, ""};
  if (ccerr.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION) {
    const CloseReason reason = close_reason_from_code(ccerr.error_code);
    error = closed_error(reason, true, fmt::format("the peer closed the connection with {}", reason));
    if (state_ == State::kHandshaking) {
      fail_handshake(ConnectError{reason == close_reason::InvalidAlpn
                                      ? ConnectError::Kind::kInvalidAlpn
                                      : ConnectError::Kind::kClosed,
                                  reason, error.message});
    }
  } else {
    error = LinkError{LinkError::Kind::kTransport, close_reason::UnexpectedClose, true,
                      fmt::format("the peer closed the connection with transport error {:#x}",
                                  ccerr.error_code)};
    if (state_ == State::kHandshaking) {
      fail_handshake(ConnectError{ConnectError::Kind::kHandshakeFailed, std::nullopt,
                                  "the peer refused the handshake: " + error.message});
    }
  }
  fail_everything(error);
  state_ = State::kDraining;
  timer_.expires_after(std::chrono::nanoseconds(3 * ngtcp2_conn_get_pto(conn_.get())));
  armed_expiry_ = UINT64_MAX;
  timer_.async_wait([weak = weak_from_this()](std::error_code ec) {
    if (auto self = weak.lock(); self && !ec) self->finish();
  });
}

void QuicConnection::fail_everything(const LinkError& error) {
  if (!terminal_error_) terminal_error_ = error;
  if (state_ == State::kHandshaking) {
    fail_handshake(ConnectError{ConnectError::Kind::kClosed, error.reason, error.message});
  }
  for (auto& [id, stream] : streams_) {
    stream->fail(error);
    stream->readable.notify();
    stream->writable.notify();
  }
  for (auto& stream : incoming_streams_) stream->fail(error);
  streams_changed_.notify();
}

void QuicConnection::finish() {
  if (state_ == State::kFinished) return;
  auto self = shared_from_this();
  if (!terminal_error_) {
    fail_everything(LinkError{LinkError::Kind::kTransport, close_reason::UnexpectedClose, false,
                              "connection finished"});
  }
  state_ = State::kFinished;
  timer_.cancel();
  if (host_ != nullptr) {
    if (conn_) {
      std::vector<ngtcp2_cid> scids(ngtcp2_conn_get_num_scid(conn_.get()));
      ngtcp2_conn_get_scid(conn_.get(), scids.data());
      for (const auto& cid : scids) host_->unregister_cid(cid);
    }
    for (const auto& cid : routing_cids_) host_->unregister_cid(cid);
    host_->on_finished(*this);
  }
  host_ = nullptr;
  path_ = nullptr;
}

void QuicConnection::shutdown_and_detach(const CloseReason& reason) {
  auto self = shared_from_this();
  close(reason);
  fail_everything(closed_error(reason, false, "the endpoint shut down"));
  state_ = State::kFinished;
  timer_.cancel();
  host_ = nullptr;
  path_ = nullptr;
}

void QuicConnection::on_timer() {
  if (state_ != State::kHandshaking && state_ != State::kOpen) return;
  auto self = shared_from_this();
  armed_expiry_ = UINT64_MAX;
  const int rv = ngtcp2_conn_handle_expiry(conn_.get(), now_ns());
  if (rv == NGTCP2_ERR_IDLE_CLOSE) {
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
  if (expiry == armed_expiry_) return;
  armed_expiry_ = expiry;
  if (expiry == UINT64_MAX) {
    timer_.cancel();
    return;
  }
  const ngtcp2_tstamp now = now_ns();
  timer_.expires_after(std::chrono::nanoseconds(expiry > now ? expiry - now : 0));
  timer_.async_wait([weak = weak_from_this()](std::error_code ec) {
    if (auto self = weak.lock(); self && !ec) self->on_timer();
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
