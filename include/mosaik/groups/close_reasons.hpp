#pragma once
// The close reasons of /mosaik/groups/1 (the seed's table): how a bond handshake or a bond
// ends, in the QUIC CONNECTION_CLOSE a peer receives.
//
//   if (error.reason == groups::close_reason::InvalidProof) { ... }

#include <string_view>

#include <mosaik/transport/close_reason.hpp>

namespace mosaik::groups {

inline constexpr std::string_view kAlpn = "/mosaik/groups/1";

namespace close_reason {
using transport::CloseReason;
inline constexpr CloseReason InvalidHandshake{30'400, "InvalidHandshake"};  // undecodable or out of order
inline constexpr CloseReason GroupNotFound{30'404, "GroupNotFound"};        // the acceptor is no member
inline constexpr CloseReason InvalidProof{30'405, "InvalidProof"};          // the key was not proven
inline constexpr CloseReason Timeout{30'408, "Timeout"};                    // no handshake in time
inline constexpr CloseReason AlreadyBonded{30'429, "AlreadyBonded"};        // a bond exists: keep that one
}  // namespace close_reason

}  // namespace mosaik::groups
