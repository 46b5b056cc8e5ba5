#include "advertised_addresses.hpp"

#include "interface_addresses.hpp"

namespace mosaik::transport::detail {

void AdvertisedAddresses::set_explicit(const std::vector<UdpEndpoint>& addresses) {
  std::lock_guard lock(mutex_);
  explicit_ = std::set<SocketAddr>(addresses.begin(), addresses.end());
}

std::set<SocketAddr> AdvertisedAddresses::get(const std::vector<UdpEndpoint>& bound) {
  std::lock_guard lock(mutex_);
  if (!explicit_.empty()) return explicit_;
  const auto now = std::chrono::steady_clock::now();
  if (cached_.empty() || now - read_at_ >= kRefresh) {
    std::set<SocketAddr> fresh;
    for (const auto& local : bound) {
      for (const auto& address : advertisable(local)) fresh.insert(address);
    }
    cached_ = std::move(fresh);
    read_at_ = now;
  }
  return cached_;
}

}  // namespace mosaik::transport::detail
