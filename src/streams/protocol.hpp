#pragma once
// /mosaik/streams/1.0: one bidirectional QUIC stream per subscription.
//   consumer -> producer: Subscribe (once)
//   producer -> consumer: SubscribeAccepted, then one frame per datum (the msgpack of D)
// A refusal is the link closed with StreamNotFound / NotAllowed / NoCapacity instead of
// SubscribeAccepted; a lagging consumer is closed with TooSlow. The consumer never sends
// after Subscribe: anything more is a ProtocolViolation.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>

#include "mosaik/discovery/peer_entry.hpp"
#include "mosaik/primitives/digest.hpp"
#include "mosaik/primitives/wire.hpp"
#include "mosaik/streams/criteria.hpp"
#include "mosaik/transport/close_reason.hpp"

namespace mosaik::streams::detail {

inline constexpr std::string_view kAlpn = "/mosaik/streams/1.0";

// The consumer's signed entry lets the producer judge it (accept_if) before it ever
// appeared in the producer's catalog.
struct Subscribe {
  NetworkId network_id;
  StreamId stream_id;
  Criteria criteria;
  discovery::SignedPeerEntry consumer;
  MOSAIK_WIRE_FIELDS(network_id, stream_id, criteria, consumer);
};

struct SubscribeAccepted {
  StreamId stream_id;
  MOSAIK_WIRE_FIELDS(stream_id);
};

// What a producer checks of a decoded Subscribe from the connected `peer` before looking the
// stream up: the reason to close the link with, or nullopt. The entry must be the peer's own,
// signed by it, for our network, so that accept_if judges who is really asking.
inline std::optional<transport::CloseReason> refuse_subscribe(const Subscribe& request,
                                                              const PeerId& peer,
                                                              const NetworkId& network) {
  if (request.network_id != network) return transport::close_reason::DifferentNetwork;
  const auto& entry = request.consumer;
  if (entry.peer_id() != peer || entry.entry().network_id() != network || !entry.verify()) {
    return transport::close_reason::ProtocolViolation;
  }
  return std::nullopt;
}

// Largest frame a producer reads (the Subscribe); datums only flow the other way.
inline constexpr std::size_t kMaxSubscribeFrame = 64 * 1024;
// How long either side waits for the other's handshake message.
inline constexpr std::chrono::seconds kHandshakeTimeout{5};
// Bytes a producer's sender coroutine moves to the transport in one write.
inline constexpr std::size_t kMaxBatchBytes = 256 * 1024;
// Datums a consumer takes from the transport in one read (one wake-up, one inbox lock).
inline constexpr std::size_t kMaxBatchFrames = 256;

}  // namespace mosaik::streams::detail
