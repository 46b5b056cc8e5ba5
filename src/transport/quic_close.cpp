// The ending half of QuicConnection: errors from ngtcp2, our CONNECTION_CLOSE (closing
// period), the peer's (draining period), and failing every waiter with the reason.
#include <fmt/format.h>

#include "clock.hpp"
#include "quic_connection.hpp"
#include "transport_log.hpp"

namespace mosaik::transport::detail {
namespace {

LinkError closed_error(const CloseReason& reason, bool remote, std::string message) {
  return LinkError{LinkError::Kind::kClosed, reason, remote, std::move(message)};
}

// How connect() reports a connection closed with `reason` before it was established.
ConnectError::Kind connect_error_kind(const CloseReason& reason) {
  if (reason == close_reason::InvalidAlpn) return ConnectError::Kind::kInvalidAlpn;
  if (reason == close_reason::InvalidNetworkProof) return ConnectError::Kind::kInvalidNetworkProof;
  return ConnectError::Kind::kClosed;
}

}  // namespace

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
  if (refused_busy_) {
    // The same answer as a refusal before any state (AddressValidation::busy_close): the
    // client fails at once with kBusy and retries on its own schedule.
    ngtcp2_connection_close_error_set_transport_error(&ccerr, NGTCP2_CONNECTION_REFUSED, nullptr, 0);
    why = fmt::format("refused: at the bound of connections for {}", alpn_);
  } else if (liberr == NGTCP2_ERR_CRYPTO) {
    ngtcp2_connection_close_error_set_transport_error_tls_alert(
        &ccerr, ngtcp2_conn_get_tls_alert(conn_.get()), nullptr, 0);
    why = tls_failure_.empty() ? "TLS handshake failed" : tls_failure_;
  } else {
    ngtcp2_connection_close_error_set_transport_error_liberr(&ccerr, liberr, nullptr, 0);
    why = std::string("QUIC error: ") + ngtcp2_strerror(liberr);
  }
  if (state_ == State::kHandshaking) {
    fail_handshake(ConnectError{peer_mismatch_   ? ConnectError::Kind::kPeerMismatch
                                : refused_busy_ ? ConnectError::Kind::kBusy
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
    fail_handshake(ConnectError{connect_error_kind(reason), reason,
                                fmt::format("closed locally with {}", reason)});
  }
  ngtcp2_connection_close_error ccerr;
  ngtcp2_connection_close_error_default(&ccerr);
  ngtcp2_connection_close_error_set_application_error(&ccerr, reason.code(), nullptr, 0);
  enter_closing(ccerr, closed_error(reason, false, fmt::format("closed locally with {}", reason)));
}

void QuicConnection::close_after_delivery(const CloseReason& reason) {
  if (state_ != State::kHandshaking && state_ != State::kOpen) return;
  close_after_delivery_ = reason;
  if (all_delivered()) close(reason);
}

bool QuicConnection::all_delivered() const {
  for (const auto& [id, s] : streams_) {
    if (!s->send_error && s->acked < s->queued) return false;
  }
  return true;
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
      fail_handshake(ConnectError{connect_error_kind(reason), reason, error.message});
    }
  } else {
    const bool busy = ccerr.error_code == NGTCP2_CONNECTION_REFUSED;
    error = LinkError{LinkError::Kind::kTransport, close_reason::UnexpectedClose, true,
                      fmt::format("the peer closed the connection with transport error {:#x}{}",
                                  ccerr.error_code,
                                  ccerr.error_code == NGTCP2_INVALID_TOKEN
                                      ? " (INVALID_TOKEN: our address token was refused)"
                                  : busy ? " (CONNECTION_REFUSED: it is at its bound of handshakes "
                                           "or connections; try again later)"
                                         : "")};
    if (state_ == State::kHandshaking) {
      fail_handshake(ConnectError{busy ? ConnectError::Kind::kBusy : ConnectError::Kind::kHandshakeFailed,
                                  std::nullopt, "the peer refused the handshake: " + error.message});
    }
  }
  transport_logger()->debug("connection with {} at {} closed by the peer: {}",
                            mosaik::PeerId::from_bytes(peer_key_), remote_, error.message);
  fail_everything(error);
  state_ = State::kDraining;
  timer_.expires_after(std::chrono::nanoseconds(3 * ngtcp2_conn_get_pto(conn_.get())));
  armed_expiry_ = UINT64_MAX;
  timer_.async_wait([weak = weak_from_this()](std::error_code ec) {
    if (auto self = weak.lock(); self && !ec) self->finish();
  });
}

void QuicConnection::fail_everything(const LinkError& error) {
  if (!terminal_error_) {
    // What the links still hold is freed with them; the endpoint stops counting it now.
    if (buffered_ > 0 && host_ != nullptr) {
      host_->on_buffered_receive_changed(*this, -static_cast<std::int64_t>(buffered_));
    }
    buffered_ = 0;
    terminal_error_ = error;
  }
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
  admission_timer_.cancel();
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
  admission_timer_.cancel();
  host_ = nullptr;
  path_ = nullptr;
}

}  // namespace mosaik::transport::detail
