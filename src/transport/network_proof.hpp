// The network proof's cryptography (docs/decisions/0206). With a network secret set, each
// end of a connection proves it holds the secret before the connection reaches a protocol:
// the proof is HMAC-SHA512-256, keyed by the key derived from the secret, over 32 bytes the
// TLS exporter (RFC 5705) derives from this session for the prover's role. Nothing secret
// crosses the wire, a proof is worthless on any other connection, and the role in the
// exporter's context keeps an acceptor from echoing the dialer's proof back as its own.
#pragma once

#include <gnutls/gnutls.h>

#include <array>
#include <cstdint>
#include <expected>
#include <span>
#include <string>

#include "mosaik/primitives/network_secret.hpp"

namespace mosaik::transport::detail {

inline constexpr std::size_t kNetworkProofSize = 32;
using NetworkProof = std::array<std::uint8_t, kNetworkProofSize>;

enum class ProofRole { kDialer, kAcceptor };

// The proof `role` owes on `session` (a TLS 1.3 session whose handshake is complete).
[[nodiscard]] std::expected<NetworkProof, std::string> make_network_proof(
    gnutls_session_t session, const NetworkSecret& key, ProofRole role);

// What the peer sent on its proof stream: the first kNetworkProofSize bytes, and whether
// the stream ended (FIN or reset). Flow control keeps the peer from sending more.
struct ReceivedProof {
  NetworkProof bytes{};
  std::size_t size = 0;
  bool ended = false;
  bool excess = false;  // more bytes than a proof: not one

  void append(std::span<const std::uint8_t> data);
  // Enough arrived to decide (all the bytes, or an early end).
  bool complete() const { return size == kNetworkProofSize || ended; }
  // All the bytes arrived and they equal `expected` (compared in constant time).
  bool matches(const NetworkProof& expected) const;
};

}  // namespace mosaik::transport::detail
