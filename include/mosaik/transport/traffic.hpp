#pragma once
// TrafficStats: what an endpoint sent and received since it was bound, the incoming
// handshakes it refused or saw fail and the handshakes it started (dials) that failed, by
// reason. A snapshot of counters the endpoint keeps with atomics: reading it never waits for
// the endpoint's executor.
//
//   auto t = network.local().endpoint().traffic();   fmt::print("{} B in", t.bytes_in);

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mosaik::transport {

enum class HandshakeFailure {
  kBusy,          // refused: too many handshakes or connections already (decision 0205)
  kInvalidToken,  // a Retry token that was forged, expired or for another address
  kInvalidAlpn,   // the handshake finished with a protocol nobody here serves
  kIncomplete,    // TLS failed, the peer gave up, or the handshake timed out
};
inline constexpr std::size_t kHandshakeFailureKinds = 4;

// "busy", "invalid_token", "invalid_alpn", "incomplete": the `reason` label of metrics.
std::string_view to_string(HandshakeFailure f);

// Why a handshake this endpoint started failed (one count per address tried; an attempt
// cancelled because another address won, or because the endpoint shut down, is none).
enum class DialFailure {
  kBusy,                 // the peer refused: at its bound of handshakes or connections
  kPeerMismatch,         // the peer authenticated with another key than the PeerId dialed
  kInvalidAlpn,          // the peer serves nothing for the requested ALPN
  kInvalidNetworkProof,  // one side did not prove the network secret
  kTimedOut,             // no answer within the handshake timeout
  kClosed,               // the peer closed the connection during the handshake
  kHandshakeFailed,      // TLS or QUIC refused the handshake for another reason
};
inline constexpr std::size_t kDialFailureKinds = 7;

// "busy", "peer_mismatch", "invalid_alpn", "invalid_network_proof", "timed_out", "closed",
// "handshake_failed": the `reason` label of metrics.
std::string_view to_string(DialFailure f);

struct TrafficStats {
  std::uint64_t bytes_in = 0;     // UDP payload bytes received
  std::uint64_t bytes_out = 0;    // UDP payload bytes sent
  std::uint64_t packets_in = 0;   // datagrams received
  std::uint64_t packets_out = 0;  // datagrams sent
  std::uint64_t connections = 0;  // QUIC connections now held, handshaking or open
  std::array<std::uint64_t, kHandshakeFailureKinds> handshake_failures{};  // by HandshakeFailure
  std::array<std::uint64_t, kDialFailureKinds> dial_failures{};            // by DialFailure

  std::uint64_t failures(HandshakeFailure f) const {
    return handshake_failures[static_cast<std::size_t>(f)];
  }
  std::uint64_t failures(DialFailure f) const { return dial_failures[static_cast<std::size_t>(f)]; }
};

}  // namespace mosaik::transport
