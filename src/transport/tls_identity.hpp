// The node's TLS identity: a self-signed X.509 certificate over its Ed25519 key, so TLS 1.3
// authenticates both ends by the same key that is the node's PeerId. The certificate carries
// no other meaning: peers check the key inside it, never a CA chain (see decision 0200).
//
//   auto id = TlsIdentity::create(seed, public_key);          // once per endpoint
//   gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, id->credentials());
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <span>
#include <string>

#include "tls_handles.hpp"

namespace mosaik::transport::detail {

using PublicKeyBytes = std::array<std::uint8_t, 32>;

class TlsIdentity {
 public:
  // seed: the 32-byte Ed25519 private seed; public_key: the matching public key.
  [[nodiscard]] static std::expected<TlsIdentity, std::string> create(
      std::span<const std::uint8_t, 32> seed, const PublicKeyBytes& public_key);

  gnutls_certificate_credentials_t credentials() const noexcept { return credentials_.get(); }
  const PublicKeyBytes& public_key() const noexcept { return public_key_; }

 private:
  TlsIdentity() = default;
  GnutlsCredentials credentials_;
  PublicKeyBytes public_key_{};
};

// The Ed25519 public key of the certificate the peer presented in this session, or why
// there is none usable (no certificate, not X.509, not Ed25519).
[[nodiscard]] std::expected<PublicKeyBytes, std::string> peer_public_key(gnutls_session_t session);

}  // namespace mosaik::transport::detail
