#include "mosaik/transport/close_reason.hpp"

#include <array>

namespace mosaik::transport {

CloseReason close_reason_from_code(std::uint64_t code) {
  static constexpr std::array kBuiltin = {
      close_reason::Success,         close_reason::GracefulShutdown,
      close_reason::InvalidAlpn,     close_reason::DifferentNetwork,
      close_reason::Cancelled,       close_reason::UnexpectedClose,
      close_reason::ProtocolViolation, close_reason::UnknownPeer,
      close_reason::ResourceExhausted, close_reason::Timeout,
      close_reason::InvalidNetworkProof,
  };
  for (const auto& r : kBuiltin) {
    if (r.code() == code) return r;
  }
  return CloseReason{code, "Unknown"};
}

}  // namespace mosaik::transport
