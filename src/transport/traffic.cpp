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

}  // namespace mosaik::transport
