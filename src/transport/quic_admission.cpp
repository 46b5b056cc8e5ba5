// Admission: with a network secret, a connection whose TLS handshake is done still has to
// prove the secret before connect() returns it or an ALPN handler sees it (docs/decisions/
// 0206). Each end sends one proof (network_proof.hpp) on a unidirectional stream of its own;
// the dialer first, the acceptor once the dialer's proof checked out, so a stranger who
// dials gets nothing to guess the secret from. The stream's transport parameters double as
// the signal: a node with a secret allows the peer one unidirectional stream of 32 bytes, a
// node without allows none, so a mismatch is refused as soon as TLS is done.
//
// Bounded: a peer proves within the handshake timeout (counted from the connection's start)
// or is closed with Timeout, its proof stream holds at most 32 bytes, and a dialer that
// opens a link before it was admitted is refused.
#include <fmt/format.h>

#include "mosaik/primitives/keys.hpp"
#include "mosaik/primitives/log.hpp"
#include "quic_connection.hpp"
#include "transport_log.hpp"

namespace mosaik::transport::detail {

void QuicConnection::begin_admission() {
  const bool we_prove = options_.network_proof_key != nullptr;
  const ngtcp2_transport_params* remote = ngtcp2_conn_get_remote_transport_params(conn_.get());
  const bool peer_proves = remote != nullptr && remote->initial_max_streams_uni > 0;
  if (options_.skip_network_proof_checks) {
    if (we_prove && peer_proves) send_network_proof();
    if (state_ == State::kHandshaking) admit();
    return;
  }
  if (!we_prove && !peer_proves) {
    admit();
    return;
  }
  if (!we_prove) {
    refuse(close_reason::InvalidNetworkProof, "the peer holds a network secret and this node none");
    return;
  }
  if (!peer_proves) {
    refuse(close_reason::InvalidNetworkProof, "the peer holds no network secret");
    return;
  }
  proving_ = true;
  admission_timer_.expires_at(started_ + options_.handshake_timeout);
  admission_timer_.async_wait([weak = weak_from_this()](std::error_code ec) {
    if (auto self = weak.lock(); self && !ec) self->on_admission_deadline();
  });
  if (!is_server_) send_network_proof();
}

void QuicConnection::on_proof_stream_data(std::span<const std::uint8_t> data, bool fin) {
  peer_proof_.append(data);
  if (fin) peer_proof_.ended = true;
  // The stream's window never grows (32 bytes in all); the connection's gets its bytes back.
  ngtcp2_conn_extend_max_offset(conn_.get(), data.size());
}

void QuicConnection::on_proof_stream_reset() { peer_proof_.ended = true; }

void QuicConnection::on_link_before_admission() {
  // An honest dialer opens links only after connect() returned, which needs our proof, which
  // we send only when admitting it: this one wants us to hold data before it proved anything.
  if (is_server_ && options_.network_proof_key) early_link_ = true;
}

void QuicConnection::advance_admission() {
  if (state_ != State::kHandshaking) return;
  if (early_link_) {
    refuse(close_reason::ProtocolViolation, "the peer opened a link before proving the network secret");
    return;
  }
  if (!proving_ || !peer_proof_.complete()) return;
  const auto expected = make_network_proof(session_.get(), *options_.network_proof_key,
                                           is_server_ ? ProofRole::kDialer : ProofRole::kAcceptor);
  if (!expected) {
    refuse(close_reason::InvalidNetworkProof, "no proof to check against: " + expected.error());
    return;
  }
  if (!peer_proof_.matches(*expected)) {
    refuse(close_reason::InvalidNetworkProof, "the peer's proof does not match this network's secret");
    return;
  }
  proving_ = false;
  admission_timer_.cancel();
  if (is_server_) send_network_proof();
  if (state_ == State::kHandshaking) admit();  // not when sending the proof failed
}

void QuicConnection::send_network_proof() {
  if (options_.withhold_network_proof) return;
  const auto proof = make_network_proof(session_.get(), *options_.network_proof_key,
                                        is_server_ ? ProofRole::kAcceptor : ProofRole::kDialer);
  if (!proof) {
    refuse(close_reason::InvalidNetworkProof, "no proof to send: " + proof.error());
    return;
  }
  std::int64_t id = -1;
  if (int rv = ngtcp2_conn_open_uni_stream(conn_.get(), &id, nullptr); rv != 0) {
    refuse(close_reason::InvalidNetworkProof,
           std::string("no stream for the proof: ") + ngtcp2_strerror(rv));
    return;
  }
  auto stream = std::make_shared<StreamState>(id, executor_);
  stream->send_chunks.emplace_back(proof->begin(), proof->end());
  stream->queued = proof->size();
  stream->fin_requested = true;
  stream->in_ready_list = true;
  streams_.emplace(id, std::move(stream));
  ready_streams_.push_back(id);
  schedule_flush();
}

void QuicConnection::refuse(const CloseReason& reason, std::string_view why) {
  const auto message = fmt::format("{}: {}", reason, why);
  if (is_server_) {
    transport_logger()->info("refused the connection of {} from {}: {}", PeerId::from_bytes(peer_key_),
                   remote_.address().to_string(), message);
  } else {
    transport_logger()->debug("refusing {}: {}", PeerId::from_bytes(peer_key_), message);
  }
  ConnectError::Kind kind = ConnectError::Kind::kClosed;
  if (reason == close_reason::InvalidNetworkProof) kind = ConnectError::Kind::kInvalidNetworkProof;
  fail_handshake(ConnectError{kind, reason, message});
  close(reason);
}

void QuicConnection::on_admission_deadline() {
  if (!proving_ || state_ != State::kHandshaking) return;
  const auto why = "the peer sent no network proof within the handshake timeout";
  if (is_server_) {
    transport_logger()->info("refused the connection of {} from {}: {}", PeerId::from_bytes(peer_key_),
                   remote_.address().to_string(), why);
  }
  fail_handshake(ConnectError{ConnectError::Kind::kTimedOut, close_reason::Timeout, why});
  close(close_reason::Timeout);
}

}  // namespace mosaik::transport::detail
