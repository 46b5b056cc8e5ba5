#pragma once
// How to reach a peer: its PeerId (what TLS must authenticate) and the UDP addresses it
// listens on. A relay URL joins later (DESIGN.md §4).
//
//   EndpointAddr addr{peer_id, {udp::endpoint(make_address("127.0.0.1"), 4433)}};

#include <optional>
#include <string>
#include <vector>

#include "mosaik/primitives/keys.hpp"
#include "mosaik/transport/packet_path.hpp"

namespace mosaik::transport {

struct EndpointAddr {
  PeerId id;
  std::vector<UdpEndpoint> direct_addresses;
  std::optional<std::string> relay_url;

  friend bool operator==(const EndpointAddr&, const EndpointAddr&) = default;
};

}  // namespace mosaik::transport
