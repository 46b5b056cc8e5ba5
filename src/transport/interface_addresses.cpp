#include "interface_addresses.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <cstring>
#include <optional>

namespace mosaik::transport::detail {
namespace {

std::optional<asio::ip::address> address_of(const sockaddr* sa, bool v6) {
  if (sa == nullptr) return std::nullopt;
  if (!v6 && sa->sa_family == AF_INET) {
    asio::ip::address_v4::bytes_type bytes;
    std::memcpy(bytes.data(), &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, bytes.size());
    return asio::ip::address_v4(bytes);
  }
  if (v6 && sa->sa_family == AF_INET6) {
    asio::ip::address_v6::bytes_type bytes;
    std::memcpy(bytes.data(), &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, bytes.size());
    const asio::ip::address_v6 address(bytes);
    if (address.is_link_local() || address.is_v4_mapped()) return std::nullopt;
    return address;
  }
  return std::nullopt;
}

}  // namespace

std::vector<asio::ip::address> interface_addresses(bool v6) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return {};
  std::vector<asio::ip::address> usable;
  std::vector<asio::ip::address> loopback;
  for (const ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if ((it->ifa_flags & IFF_UP) == 0) continue;
    auto address = address_of(it->ifa_addr, v6);
    if (!address) continue;
    (address->is_loopback() ? loopback : usable).push_back(*address);
  }
  ::freeifaddrs(list);
  return usable.empty() ? loopback : usable;
}

std::vector<UdpEndpoint> advertisable(const UdpEndpoint& local) {
  if (!local.address().is_unspecified()) return {local};
  std::vector<UdpEndpoint> out;
  for (const auto& address : interface_addresses(local.address().is_v6())) {
    out.emplace_back(address, local.port());
  }
  return out;
}

}  // namespace mosaik::transport::detail
