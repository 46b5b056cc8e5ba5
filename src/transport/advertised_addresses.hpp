// The addresses Endpoint::addr() advertises: the configured ones, or what the bound sockets
// can be reached at, with wildcard binds expanded to the interfaces' addresses. Interfaces
// come and go (DHCP, VPNs), so the expansion is re-read, at most once a second. addr() is
// called from any thread: the cache is behind a mutex (it is not protocol state).
#pragma once

#include <chrono>
#include <mutex>
#include <set>
#include <vector>

#include "mosaik/transport/endpoint_addr.hpp"
#include "mosaik/transport/packet_path.hpp"

namespace mosaik::transport::detail {

class AdvertisedAddresses {
 public:
  static constexpr std::chrono::seconds kRefresh{1};

  void set_explicit(const std::vector<UdpEndpoint>& addresses);
  std::set<SocketAddr> get(const std::vector<UdpEndpoint>& bound);

 private:
  std::mutex mutex_;
  std::set<SocketAddr> explicit_;
  std::set<SocketAddr> cached_;
  std::chrono::steady_clock::time_point read_at_{};
};

}  // namespace mosaik::transport::detail
