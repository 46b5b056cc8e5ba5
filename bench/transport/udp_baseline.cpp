#include "udp_baseline.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <thread>

namespace mosaik::bench {
namespace {

struct Socket {
  int fd;
  sockaddr_in addr{};
  Socket() : fd(::socket(AF_INET, SOCK_DGRAM, 0)) {
    if (fd < 0) throw std::runtime_error("socket");
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("bind");
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    const int buf = 4 * 1024 * 1024;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    timeval tv{0, 200'000};  // receivers give up after 200 ms of silence
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Socket() { ::close(fd); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
};

}  // namespace

double udp_throughput_mbps(std::chrono::milliseconds duration) {
  Socket tx, rx;
  std::atomic<bool> stop{false};
  std::uint64_t received = 0;
  std::chrono::steady_clock::time_point first{}, last{};
  std::thread receiver([&] {
    std::uint8_t buf[2048];
    while (true) {
      const auto n = ::recv(rx.fd, buf, sizeof buf, 0);
      if (n < 0) {
        if (stop.load()) break;
        continue;
      }
      last = std::chrono::steady_clock::now();
      if (received == 0) first = last;
      received += static_cast<std::uint64_t>(n);
    }
  });
  std::uint8_t datagram[1200] = {};
  const auto end = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < end) {
    for (int i = 0; i < 64; ++i) {
      ::sendto(tx.fd, datagram, sizeof datagram, 0, reinterpret_cast<sockaddr*>(&rx.addr),
               sizeof rx.addr);
    }
  }
  stop.store(true);
  receiver.join();
  const double seconds = std::chrono::duration<double>(last - first).count();
  return seconds > 0 ? static_cast<double>(received) * 8 / seconds / 1e6 : 0.0;
}

std::vector<double> udp_rtts_us(int rounds) {
  Socket client, server;
  std::atomic<bool> stop{false};
  std::thread echo([&] {
    std::uint8_t buf[64];
    sockaddr_in from{};
    while (!stop.load()) {
      socklen_t len = sizeof from;
      const auto n = ::recvfrom(server.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n > 0) ::sendto(server.fd, buf, static_cast<std::size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  });
  std::vector<double> rtts;
  rtts.reserve(static_cast<std::size_t>(rounds));
  std::uint8_t ping[64] = {}, pong[64];
  for (int i = 0; i < rounds; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    ::sendto(client.fd, ping, sizeof ping, 0, reinterpret_cast<sockaddr*>(&server.addr), sizeof server.addr);
    if (::recv(client.fd, pong, sizeof pong, 0) < 0) continue;  // lost: not a sample
    rtts.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  stop.store(true);
  ::sendto(client.fd, ping, sizeof ping, 0, reinterpret_cast<sockaddr*>(&server.addr), sizeof server.addr);
  echo.join();
  return rtts;
}

}  // namespace mosaik::bench
