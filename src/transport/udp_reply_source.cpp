#include "udp_reply_source.hpp"

#include <cstring>

namespace mosaik::transport::detail {

static_assert(UdpReplySource::kControlBytes >= CMSG_SPACE(sizeof(in_pktinfo)));

bool UdpReplySource::enable(int fd, const UdpEndpoint& bound) {
  if (!bound.address().is_unspecified()) return false;
  const int on = 1;
  const bool v6 = bound.address().is_v6();
  enabled_ = v6 ? ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on) == 0
                : ::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on) == 0;
  return enabled_;
}

void UdpReplySource::learn(const UdpEndpoint& from, msghdr& received) {
  if (!enabled_) return;
  for (cmsghdr* cm = CMSG_FIRSTHDR(&received); cm != nullptr; cm = CMSG_NXTHDR(&received, cm)) {
    std::optional<asio::ip::address> local;
    if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
      in_pktinfo info;
      std::memcpy(&info, CMSG_DATA(cm), sizeof info);
      asio::ip::address_v4::bytes_type bytes;
      std::memcpy(bytes.data(), &info.ipi_addr, bytes.size());
      local = asio::ip::address_v4(bytes);
    } else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info;
      std::memcpy(&info, CMSG_DATA(cm), sizeof info);
      asio::ip::address_v6::bytes_type bytes;
      std::memcpy(bytes.data(), &info.ipi6_addr, bytes.size());
      local = asio::ip::address_v6(bytes);
    }
    if (!local) continue;
    auto it = local_for_.find(from);
    if (it != local_for_.end()) {
      it->second = *local;
    } else {
      if (local_for_.size() >= kMaxPeers) local_for_.clear();
      local_for_.emplace(from, *local);
    }
    return;
  }
}

std::size_t UdpReplySource::append_source(const UdpEndpoint& to, cmsghdr* at) const {
  if (!enabled_ || at == nullptr) return 0;
  auto it = local_for_.find(to);
  if (it == local_for_.end()) return 0;
  const auto& local = it->second;
  if (local.is_v4()) {
    in_pktinfo info{};
    const auto bytes = local.to_v4().to_bytes();
    std::memcpy(&info.ipi_spec_dst, bytes.data(), bytes.size());
    at->cmsg_level = IPPROTO_IP;
    at->cmsg_type = IP_PKTINFO;
    at->cmsg_len = CMSG_LEN(sizeof info);
    std::memcpy(CMSG_DATA(at), &info, sizeof info);
    return CMSG_SPACE(sizeof info);
  }
  in6_pktinfo info{};
  const auto bytes = local.to_v6().to_bytes();
  std::memcpy(&info.ipi6_addr, bytes.data(), bytes.size());
  at->cmsg_level = IPPROTO_IPV6;
  at->cmsg_type = IPV6_PKTINFO;
  at->cmsg_len = CMSG_LEN(sizeof info);
  std::memcpy(CMSG_DATA(at), &info, sizeof info);
  return CMSG_SPACE(sizeof info);
}

}  // namespace mosaik::transport::detail
