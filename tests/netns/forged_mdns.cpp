#include "forged_mdns.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>

namespace mosaik::test {
namespace {

constexpr std::uint16_t kTypePtr = 12, kTypeTxt = 16, kTypeSrv = 33;
constexpr std::uint16_t kClassIn = 1, kCacheFlush = 0x8000;

void put16(Datagram& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void put32(Datagram& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v));
}

// "a.b.local" as length-prefixed labels, uncompressed.
Datagram name(const std::string& dotted) {
  Datagram out;
  std::size_t start = 0;
  while (start < dotted.size()) {
    const auto dot = dotted.find('.', start);
    const auto end = dot == std::string::npos ? dotted.size() : dot;
    out.push_back(static_cast<std::uint8_t>(end - start));
    out.insert(out.end(), dotted.begin() + static_cast<long>(start), dotted.begin() + static_cast<long>(end));
    start = end + 1;
  }
  out.push_back(0);
  return out;
}

void put_record(Datagram& out, const std::string& owner, std::uint16_t type, std::uint16_t klass,
                const Datagram& rdata) {
  const auto n = name(owner);
  out.insert(out.end(), n.begin(), n.end());
  put16(out, type);
  put16(out, klass);
  put32(out, 120);  // TTL, seconds
  put16(out, static_cast<std::uint16_t>(rdata.size()));
  out.insert(out.end(), rdata.begin(), rdata.end());
}

}  // namespace

Datagram dns_sd_announcement(const std::string& instance, const std::vector<std::string>& txt) {
  const std::string service = "_mosaik._udp.local";
  const std::string full = instance + "." + service;
  Datagram out;
  put16(out, 0);       // id
  put16(out, 0x8400);  // response, authoritative
  put16(out, 0);       // questions
  put16(out, 3);       // answers: PTR, SRV, TXT
  put16(out, 0);
  put16(out, 0);
  put_record(out, service, kTypePtr, kClassIn, name(full));
  Datagram srv;
  put16(srv, 0);  // priority
  put16(srv, 0);  // weight
  put16(srv, 9);  // port
  const auto target = name(instance + ".local");
  srv.insert(srv.end(), target.begin(), target.end());
  put_record(out, full, kTypeSrv, kClassIn | kCacheFlush, srv);
  Datagram strings;
  for (const auto& s : txt) {
    strings.push_back(static_cast<std::uint8_t>(s.size()));
    strings.insert(strings.end(), s.begin(), s.end());
  }
  put_record(out, full, kTypeTxt, kClassIn | kCacheFlush, strings);
  return out;
}

std::expected<MdnsSender, std::string> MdnsSender::open(const NetNamespace& ns,
                                                       const std::string& interface_ip) {
  // A socket belongs to the namespace of the thread that made it: make it on a thread that
  // entered `ns`, leaving this thread where it is.
  int fd = -1;
  std::string error;
  std::thread maker([&] {
    const int ns_fd = ::open(("/run/netns/" + ns.name()).c_str(), O_RDONLY | O_CLOEXEC);
    if (ns_fd < 0 || ::setns(ns_fd, CLONE_NEWNET) != 0) {
      error = fmt::format("entering {}: {}", ns.name(), std::strerror(errno));
      if (ns_fd >= 0) ::close(ns_fd);
      return;
    }
    ::close(ns_fd);
    fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  });
  maker.join();
  if (fd < 0) return std::unexpected(error.empty() ? "socket failed" : error);
  MdnsSender sender(fd);
  const int one = 1;
  const unsigned char ttl = 255;
  in_addr ifaddr{};
  ::inet_pton(AF_INET, interface_ip.c_str(), &ifaddr);
  sockaddr_in bind_to{};
  bind_to.sin_family = AF_INET;
  bind_to.sin_port = htons(5353);
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      ::bind(fd, reinterpret_cast<const sockaddr*>(&bind_to), sizeof bind_to) != 0 ||
      ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &ifaddr, sizeof ifaddr) != 0 ||
      ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) != 0) {
    return std::unexpected(fmt::format("mDNS socket in {}: {}", ns.name(), std::strerror(errno)));
  }
  return sender;
}

MdnsSender::~MdnsSender() {
  if (fd_ >= 0) ::close(fd_);
}

bool MdnsSender::send(const Datagram& datagram) const {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(5353);
  ::inet_pton(AF_INET, "224.0.0.251", &to.sin_addr);
  return ::sendto(fd_, datagram.data(), datagram.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                  sizeof to) == static_cast<ssize_t>(datagram.size());
}

}  // namespace mosaik::test
