// The addresses other hosts can reach this one at: what a node bound to a wildcard address
// advertises instead of 0.0.0.0 or ::, which no peer can dial.
#pragma once

#include <vector>

#include "mosaik/transport/packet_path.hpp"

namespace mosaik::transport::detail {

// The host's interface addresses of one family (IPv4 or IPv6) that are up and usable from
// another host: no link-local IPv6 (it needs a scope) and no loopback, unless loopback is
// all there is. Empty when the interfaces cannot be read.
std::vector<asio::ip::address> interface_addresses(bool v6);

// What to advertise for the bound `local` endpoint: itself when it names an address, else
// every interface address of its family with its port.
std::vector<UdpEndpoint> advertisable(const UdpEndpoint& local);

}  // namespace mosaik::transport::detail
