// Limits and timeouts every QUIC connection of an endpoint uses (from EndpointConfig).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "mosaik/primitives/network_secret.hpp"

namespace mosaik::transport::detail {

struct ConnectionOptions {
  std::chrono::nanoseconds idle_timeout;
  std::chrono::nanoseconds keep_alive;
  std::chrono::nanoseconds handshake_timeout;
  std::uint64_t stream_window_bytes;      // per-stream receive window we grant
  std::uint64_t connection_window_bytes;  // whole-connection receive window we grant
  std::uint64_t max_streams;              // concurrent peer-opened streams we allow
  std::uint64_t send_buffer_bytes;        // unacknowledged bytes a stream may hold
  // The key of the network proof (quic_admission.cpp); null: no proof asked or given.
  std::shared_ptr<const NetworkSecret> network_proof_key;
  bool withhold_network_proof = false;     // test hook: never send our proof
  bool skip_network_proof_checks = false;  // test hook: admit whatever the peer does
};

}  // namespace mosaik::transport::detail
