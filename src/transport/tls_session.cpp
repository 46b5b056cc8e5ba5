// The GnuTLS side of a QUIC connection: TLS 1.3 only, Ed25519 certificates only, both ends
// present one, and each end checks the key in the peer's certificate itself (a node's
// identity is its key; there is no CA). ngtcp2's GnuTLS glue moves the handshake bytes.
#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include "quic_connection.hpp"

namespace mosaik::transport::detail {
namespace {

// TLS 1.3 with the AEADs QUIC v1 defines, Ed25519 signatures only, no middlebox
// compatibility mode (QUIC forbids its ChangeCipherSpec), and X25519 as the only key
// exchange: GnuTLS 3.7's default list starts with secp256r1, and its client then sends two
// key shares (secp256r1 and X25519) and both ends compute the slower secp256r1 exchange
// (a mass join spent about a tenth of its CPU there, decision 0216).
// Every mosaik node offers X25519, so nothing is lost by offering nothing else.
constexpr const char* kPriority =
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:"
    "-SIGN-ALL:+SIGN-EDDSA-ED25519:-GROUP-ALL:+GROUP-X25519:%DISABLE_TLS13_COMPAT_MODE";

}  // namespace

ngtcp2_conn* QuicConnection::conn_from_ref(ngtcp2_crypto_conn_ref* ref) {
  return static_cast<QuicConnection*>(ref->user_data)->conn_.get();
}

std::expected<void, std::string> QuicConnection::setup_tls(const TlsIdentity& identity,
                                                           const std::vector<std::string>& alpns) {
  gnutls_session_t raw = nullptr;
  const unsigned flags = (is_server_ ? GNUTLS_SERVER | GNUTLS_NO_AUTO_SEND_TICKET : GNUTLS_CLIENT) |
                         GNUTLS_NO_END_OF_EARLY_DATA;
  if (int rv = gnutls_init(&raw, flags); rv < 0) {
    return std::unexpected(std::string("gnutls_init: ") + gnutls_strerror(rv));
  }
  session_.reset(raw);
  if (int rv = gnutls_priority_set_direct(raw, kPriority, nullptr); rv < 0) {
    return std::unexpected(std::string("TLS priority: ") + gnutls_strerror(rv));
  }
  const int configured = is_server_ ? ngtcp2_crypto_gnutls_configure_server_session(raw)
                                    : ngtcp2_crypto_gnutls_configure_client_session(raw);
  if (configured != 0) return std::unexpected("ngtcp2 could not configure the TLS session");

  conn_ref_.get_conn = &QuicConnection::conn_from_ref;
  conn_ref_.user_data = this;
  gnutls_session_set_ptr(raw, &conn_ref_);

  if (int rv = gnutls_credentials_set(raw, GNUTLS_CRD_CERTIFICATE, identity.credentials()); rv < 0) {
    return std::unexpected(std::string("TLS credentials: ") + gnutls_strerror(rv));
  }
  gnutls_session_set_verify_function(raw, &QuicConnection::verify_peer_certificate);
  if (is_server_) {
    gnutls_certificate_server_set_request(raw, GNUTLS_CERT_REQUIRE);
    gnutls_handshake_set_hook_function(raw, GNUTLS_HANDSHAKE_CLIENT_HELLO, GNUTLS_HOOK_POST,
                                       &QuicConnection::on_client_hello);
  }

  // Neither side makes ALPN mandatory inside TLS: both check the outcome after the handshake,
  // so a mismatch closes with the typed InvalidAlpn reason instead of a bare TLS alert.
  std::vector<gnutls_datum_t> protocols;
  protocols.reserve(alpns.size());
  for (const auto& a : alpns) {
    protocols.push_back({reinterpret_cast<unsigned char*>(const_cast<char*>(a.data())),
                         static_cast<unsigned>(a.size())});
  }
  if (!protocols.empty()) {
    if (int rv = gnutls_alpn_set_protocols(raw, protocols.data(),
                                           static_cast<unsigned>(protocols.size()), 0);
        rv < 0) {
      return std::unexpected(std::string("ALPN: ") + gnutls_strerror(rv));
    }
  }
  return {};
}

// Called by GnuTLS once it read a ClientHello (chose the protocol, derived the key share),
// before it answers, signs or checks anything: a protocol at its bound of connections is
// refused here, which costs the endpoint a small part of a handshake. Non-zero aborts it.
int QuicConnection::on_client_hello(gnutls_session_t session, unsigned, unsigned, unsigned,
                                    const gnutls_datum_t*) {
  auto* ref = static_cast<ngtcp2_crypto_conn_ref*>(gnutls_session_get_ptr(session));
  auto* self = static_cast<QuicConnection*>(ref->user_data);
  gnutls_datum_t selected{};
  // No common protocol: the handshake goes on and ends with InvalidAlpn (after_handshake).
  if (gnutls_alpn_get_selected_protocol(session, &selected) != 0 || selected.size == 0) return 0;
  self->alpn_.assign(reinterpret_cast<const char*>(selected.data), selected.size);
  if (self->host_ == nullptr || self->host_->admits_alpn(*self, self->alpn_)) return 0;
  self->refused_busy_ = true;
  return GNUTLS_E_NO_APPLICATION_PROTOCOL;
}

// Called by GnuTLS once the peer's certificate arrived; non-zero aborts the handshake.
int QuicConnection::verify_peer_certificate(gnutls_session_t session) {
  auto* ref = static_cast<ngtcp2_crypto_conn_ref*>(gnutls_session_get_ptr(session));
  auto* self = static_cast<QuicConnection*>(ref->user_data);
  auto key = peer_public_key(session);
  if (!key) {
    self->tls_failure_ = key.error();
    return -1;
  }
  if (!self->is_server_ && *key != self->expected_peer_) {
    self->peer_mismatch_ = true;
    self->tls_failure_ = "the peer authenticated with a different key than the PeerId dialed";
    return -1;
  }
  self->peer_key_ = *key;
  self->peer_verified_ = true;
  return 0;
}

std::expected<Bytes, std::string> QuicConnection::export_keying_material(
    std::string_view label, std::span<const std::uint8_t> context, std::size_t length) const {
  if (state_ != State::kOpen) return std::unexpected("the connection is not open");
  return export_keys(label, context, length);
}

std::expected<Bytes, std::string> QuicConnection::export_keys(
    std::string_view label, std::span<const std::uint8_t> context, std::size_t length) const {
  Bytes out(length);
  int rv = gnutls_prf_rfc5705(session_.get(), label.size(), label.data(), context.size(),
                              reinterpret_cast<const char*>(context.data()), length,
                              reinterpret_cast<char*>(out.data()));
  if (rv < 0) return std::unexpected(std::string("TLS exporter: ") + gnutls_strerror(rv));
  return out;
}

}  // namespace mosaik::transport::detail
