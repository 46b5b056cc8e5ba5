#pragma once
// An in-memory network for endpoints on one executor: each path owns the UDP address it was
// bound to, and a datagram sent to an address is posted to that path's sink, as a socket
// would deliver it. A tap sees every datagram sent (to a path or to no one), which is how
// fuzz_endpoint counts what the endpoint answers and how the seed capture records a real
// client's datagrams.
//
//   MemoryNetwork net(io.get_executor());
//   config.packet_path_factory = net.factory();   // addresses must name a port
//   net.deliver(from, to, datagram);               // inject, as from an unknown host

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>

#include "mosaik/transport/packet_path.hpp"

namespace mosaik::fuzz {

class MemoryNetwork {
 public:
  using UdpEndpoint = transport::UdpEndpoint;
  using Tap = std::function<void(const UdpEndpoint& from, const UdpEndpoint& to,
                                 std::span<const std::uint8_t> datagram)>;

  explicit MemoryNetwork(asio::any_io_executor executor);

  // Paths bound to the requested address; two paths cannot share one.
  transport::PacketPathFactory factory();
  void set_tap(Tap tap);
  // Posts `datagram` to the path bound to `to`, if any (dropped otherwise, like UDP).
  void deliver(const UdpEndpoint& from, const UdpEndpoint& to, std::span<const std::uint8_t> datagram);

  struct Shared;  // the routing table, shared with the paths so either may go first

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace mosaik::fuzz
