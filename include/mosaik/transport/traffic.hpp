#pragma once
// TrafficStats: what an endpoint sent and received since it was bound, and the incoming
// handshakes it refused or saw fail, by reason. A snapshot of counters the endpoint keeps
// with atomics: reading it never waits for the endpoint's executor.
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

struct TrafficStats {
  std::uint64_t bytes_in = 0;     // UDP payload bytes received
  std::uint64_t bytes_out = 0;    // UDP payload bytes sent
  std::uint64_t packets_in = 0;   // datagrams received
  std::uint64_t packets_out = 0;  // datagrams sent
  std::uint64_t connections = 0;  // QUIC connections now held, handshaking or open
  std::array<std::uint64_t, kHandshakeFailureKinds> handshake_failures{};  // by HandshakeFailure

  std::uint64_t failures(HandshakeFailure f) const {
    return handshake_failures[static_cast<std::size_t>(f)];
  }
};

}  // namespace mosaik::transport
