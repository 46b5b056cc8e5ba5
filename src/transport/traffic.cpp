#include "mosaik/transport/traffic.hpp"

namespace mosaik::transport {

std::string_view to_string(HandshakeFailure f) {
  switch (f) {
    case HandshakeFailure::kBusy: return "busy";
    case HandshakeFailure::kInvalidToken: return "invalid_token";
    case HandshakeFailure::kInvalidAlpn: return "invalid_alpn";
    case HandshakeFailure::kIncomplete: return "incomplete";
  }
  return "unknown";
}

std::string_view to_string(DialFailure f) {
  switch (f) {
    case DialFailure::kBusy: return "busy";
    case DialFailure::kPeerMismatch: return "peer_mismatch";
    case DialFailure::kInvalidAlpn: return "invalid_alpn";
    case DialFailure::kInvalidNetworkProof: return "invalid_network_proof";
    case DialFailure::kTimedOut: return "timed_out";
    case DialFailure::kClosed: return "closed";
    case DialFailure::kHandshakeFailed: return "handshake_failed";
  }
  return "unknown";
}

}  // namespace mosaik::transport
