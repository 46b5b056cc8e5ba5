#pragma once
// Forged mDNS traffic for the hostile-input test: DNS-SD responses built by hand (PTR, SRV
// and TXT records in the answer section, as a responder announces them), garbage datagrams,
// and a UDP socket on port 5353 inside a namespace to send them from.
//
//   auto sock = MdnsSender::open(attacker_ns, "10.79.0.2");   // expected<MdnsSender, std::string>
//   sock->send(dns_sd_announcement("evil", {"v=1", ...}));

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "netns.hpp"

namespace mosaik::test {

using Datagram = std::vector<std::uint8_t>;

// An unsolicited response announcing instance `<instance>._mosaik._udp.local` with these TXT
// strings (each at most 255 bytes) and an SRV record naming port 9.
Datagram dns_sd_announcement(const std::string& instance, const std::vector<std::string>& txt);

class MdnsSender {
 public:
  // A socket created inside `ns`, bound to port 5353 (responses from another port are not
  // taken as announcements) and sending multicast from `interface_ip`.
  [[nodiscard]] static std::expected<MdnsSender, std::string> open(const NetNamespace& ns,
                                                                   const std::string& interface_ip);
  MdnsSender(MdnsSender&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  MdnsSender& operator=(MdnsSender&&) = delete;
  ~MdnsSender();

  // To 224.0.0.251:5353; false when the kernel refused it.
  bool send(const Datagram& datagram) const;

 private:
  explicit MdnsSender(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace mosaik::test
