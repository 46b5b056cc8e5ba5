#pragma once
// Errors of the transport layer. Every failure that can come from the network is a value
// (std::expected); each carries a human message for logs.

#include <fmt/format.h>

#include <optional>
#include <string>

#include "mosaik/transport/close_reason.hpp"

namespace mosaik::transport {

// Endpoint::bind failed: the address could not be bound or the TLS identity not built.
struct BindError {
  std::string message;
};

// Connecting to a peer failed. Retrying helps for kTimedOut and kUnreachable.
struct ConnectError {
  enum class Kind {
    kNoAddress,       // the EndpointAddr holds no address usable from this endpoint
    kPeerMismatch,    // the peer authenticated with a key other than the PeerId dialed
    kInvalidAlpn,     // the peer serves no handler for the requested ALPN
    kInvalidNetworkProof,  // one side did not prove the network secret (see reason)
    kHandshakeFailed, // TLS or QUIC refused the handshake for another reason
    kBusy,            // the peer is at its bound of handshakes or connections: retry later
    kTimedOut,        // no answer within the handshake timeout
    kClosed,          // the peer closed the connection (see reason) or the endpoint shut down
  };
  Kind kind;
  std::optional<CloseReason> reason;  // the close reason when the peer sent one
  std::string message;
};

// A link (or its connection) can no longer carry messages.
struct LinkError {
  enum class Kind {
    kClosed,     // closed with `reason`, by the peer (remote) or by this side
    kCancelled,  // cancel() was called or the awaiting operation was cancelled
    kTimedOut,   // the connection went idle past the idle timeout (peer gone)
    kTransport,  // QUIC failed (protocol error, stateless reset)
  };
  Kind kind;
  CloseReason reason;  // kClosed: the close reason; otherwise the nearest built-in reason
  bool remote = false; // kClosed: true when the peer chose the reason
  std::string message;
};

}  // namespace mosaik::transport

template <>
struct fmt::formatter<mosaik::transport::ConnectError> : fmt::formatter<std::string_view> {
  auto format(const mosaik::transport::ConnectError& e, fmt::format_context& ctx) const {
    return fmt::format_to(ctx.out(), "connect failed: {}", e.message);
  }
};
template <>
struct fmt::formatter<mosaik::transport::LinkError> : fmt::formatter<std::string_view> {
  auto format(const mosaik::transport::LinkError& e, fmt::format_context& ctx) const {
    return fmt::format_to(ctx.out(), "link error {}: {}", e.reason, e.message);
  }
};
