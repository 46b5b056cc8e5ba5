// Replies from the address a peer wrote to. A socket bound to a wildcard (0.0.0.0, ::)
// receives on every interface address, but the kernel picks a reply's source by route: a
// peer that sent to 192.0.2.2 from 127.0.0.1 would hear back from 127.0.0.1 and drop it as
// another path. With IP_PKTINFO the socket learns each datagram's destination and sends
// back from it.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <asio/ip/address.hpp>

#include <map>
#include <optional>

#include "mosaik/transport/packet_path.hpp"

namespace mosaik::transport::detail {

class UdpReplySource {
 public:
  // Room a received or sent message needs for the destination/source control message.
  static constexpr std::size_t kControlBytes = CMSG_SPACE(sizeof(in6_pktinfo));
  // Peers remembered; a flood of spoofed sources only makes the memory start over (the
  // next datagram from a real peer teaches its address again).
  static constexpr std::size_t kMaxPeers = 16384;

  // Asks the kernel for each datagram's destination when `fd` is bound to a wildcard.
  // False when it is not (nothing to do) or the kernel refuses.
  bool enable(int fd, const UdpEndpoint& bound);
  bool enabled() const { return enabled_; }

  // Records the destination a received message (with its control data) was sent to.
  void learn(const UdpEndpoint& from, msghdr& received);
  // Appends the control message that makes a send to `to` leave from the address `to`
  // last wrote to; returns the bytes used at `at` (0: no such address is known).
  std::size_t append_source(const UdpEndpoint& to, cmsghdr* at) const;

 private:
  bool enabled_ = false;
  std::map<UdpEndpoint, asio::ip::address> local_for_;
};

}  // namespace mosaik::transport::detail
