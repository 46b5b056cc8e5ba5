#include "udp_socket.hpp"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <asio/post.hpp>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

namespace mosaik::transport::detail {
namespace {

// Large buffers absorb bursts (the kernel caps them at net.core.[rw]mem_max).
constexpr int kSocketBufferBytes = 4 * 1024 * 1024;

UdpEndpoint from_sockaddr(const sockaddr_storage& ss) {
  UdpEndpoint ep;
  std::memcpy(ep.data(), &ss, ss.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  return ep;
}

}  // namespace

std::expected<std::unique_ptr<UdpSocketPath>, std::string> UdpSocketPath::open(
    asio::any_io_executor executor, const UdpEndpoint& local) {
  asio::ip::udp::socket socket(executor);
  std::error_code ec;
  socket.open(local.protocol(), ec);
  if (!ec) socket.non_blocking(true, ec);
  if (!ec) socket.bind(local, ec);
  if (ec) return std::unexpected("bind " + local.address().to_string() + ":" +
                                 std::to_string(local.port()) + ": " + ec.message());
  const int fd = socket.native_handle();
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kSocketBufferBytes, sizeof kSocketBufferBytes);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kSocketBufferBytes, sizeof kSocketBufferBytes);
  const int on = 1;
  const bool gro = ::setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof on) == 0;
  std::unique_ptr<UdpSocketPath> path(new UdpSocketPath(std::move(socket), gro));
  path->reply_source_.enable(fd, path->local_);
  return path;
}

UdpSocketPath::UdpSocketPath(asio::ip::udp::socket socket, bool gro)
    : socket_(std::move(socket)),
      local_(socket_.local_endpoint()),
      gro_(gro),
      rx_(std::make_unique_for_overwrite<std::uint8_t[]>(kBatch * kMaxRead)) {}

UdpSocketPath::~UdpSocketPath() { close(); }

void UdpSocketPath::start(PacketSink& sink) {
  sink_ = &sink;
  arm_read();
}

void UdpSocketPath::close() {
  sink_ = nullptr;
  alive_.reset();
  std::error_code ignored;
  socket_.close(ignored);
}

void UdpSocketPath::arm_read() {
  if (!socket_.is_open()) return;
  socket_.async_wait(asio::socket_base::wait_read,
                     [this, alive = std::weak_ptr<int>(alive_)](std::error_code ec) {
                       if (ec || alive.expired()) return;
                       drain_then_rearm();
                     });
}

// The reactor is edge-triggered: only an empty socket (EAGAIN) may wait for the next edge.
// When a burst outlasts one drain, the rest is read on the next loop turn instead, after
// timers and other sockets had their share.
void UdpSocketPath::drain_then_rearm() {
  if (drain()) {
    arm_read();
    return;
  }
  asio::post(socket_.get_executor(), [this, alive = std::weak_ptr<int>(alive_)] {
    if (!alive.expired()) drain_then_rearm();
  });
}

namespace {

// The segment size of a coalesced (GRO) read, or 0 when it holds a single datagram.
std::size_t gro_segment_size(msghdr& hdr) {
  for (cmsghdr* cm = CMSG_FIRSTHDR(&hdr); cm != nullptr; cm = CMSG_NXTHDR(&hdr, cm)) {
    if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO) {
      int size = 0;
      std::memcpy(&size, CMSG_DATA(cm), sizeof size);
      return size > 0 ? static_cast<std::size_t>(size) : 0;
    }
  }
  return 0;
}

}  // namespace

bool UdpSocketPath::drain() {
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iovs{};
  std::array<sockaddr_storage, kBatch> addrs{};
  struct alignas(cmsghdr) Control {
    char bytes[CMSG_SPACE(sizeof(int)) + UdpReplySource::kControlBytes];
  };
  const bool want_control = gro_ || reply_source_.enabled();
  std::array<Control, kBatch> controls{};
  // Bounded: a flood yields the loop to other work after this many batches.
  constexpr int kMaxBatchesPerWakeup = 16;
  bool emptied = false;
  for (int round = 0; round < kMaxBatchesPerWakeup && sink_ != nullptr; ++round) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      iovs[i] = {rx_.get() + i * kMaxRead, kMaxRead};
      msgs[i].msg_hdr = {};
      msgs[i].msg_hdr.msg_name = &addrs[i];
      msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      if (want_control) {
        msgs[i].msg_hdr.msg_control = controls[i].bytes;
        msgs[i].msg_hdr.msg_controllen = sizeof controls[i].bytes;
      }
    }
    const int n = ::recvmmsg(socket_.native_handle(), msgs.data(), static_cast<unsigned>(kBatch),
                             MSG_DONTWAIT, nullptr);
    if (n <= 0) {
      emptied = true;  // EAGAIN (or an error that a new edge will report again)
      break;
    }
    for (int i = 0; i < n && sink_ != nullptr; ++i) {
      if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) continue;  // larger than any QUIC packet we accept
      const auto from = from_sockaddr(addrs[i]);
      reply_source_.learn(from, msgs[i].msg_hdr);
      const std::uint8_t* data = rx_.get() + static_cast<std::size_t>(i) * kMaxRead;
      const std::size_t len = msgs[i].msg_len;
      const std::size_t segment = gro_ ? gro_segment_size(msgs[i].msg_hdr) : 0;
      if (segment == 0 || segment >= len) {
        sink_->on_packet(from, {data, len});
        continue;
      }
      // Every datagram of a GRO read has `segment` bytes but the last.
      for (std::size_t off = 0; off < len && sink_ != nullptr; off += segment) {
        sink_->on_packet(from, {data + off, std::min(segment, len - off)});
      }
    }
    if (static_cast<std::size_t>(n) < kBatch) {
      emptied = true;  // a short batch: the queue is empty now
      break;
    }
  }
  if (sink_ != nullptr) sink_->on_batch_end();
  return emptied || sink_ == nullptr;
}

void UdpSocketPath::send(const UdpEndpoint& to, std::span<const std::uint8_t> data,
                         std::size_t segment_size) {
  if (!socket_.is_open() || data.empty()) return;
  if (!gso_ || data.size() <= segment_size) {
    send_each(to, data, segment_size);
    return;
  }
  iovec iov{const_cast<std::uint8_t*>(data.data()), data.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(std::uint16_t)) + UdpReplySource::kControlBytes] = {};
  msghdr msg{};
  msg.msg_name = const_cast<void*>(static_cast<const void*>(to.data()));
  msg.msg_namelen = static_cast<socklen_t>(to.size());
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_UDP;
  cm->cmsg_type = UDP_SEGMENT;
  cm->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
  const auto seg = static_cast<std::uint16_t>(segment_size);
  std::memcpy(CMSG_DATA(cm), &seg, sizeof seg);
  msg.msg_controllen = CMSG_SPACE(sizeof(std::uint16_t)) +
                       reply_source_.append_source(to, CMSG_NXTHDR(&msg, cm));
  if (::sendmsg(socket_.native_handle(), &msg, MSG_DONTWAIT) >= 0) return;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) return;  // lost, QUIC recovers
  // No GSO here (old kernel, or a device without it): fall back for good.
  gso_ = false;
  send_each(to, data, segment_size);
}

void UdpSocketPath::send_each(const UdpEndpoint& to, std::span<const std::uint8_t> data,
                              std::size_t segment_size) {
  alignas(cmsghdr) char control[UdpReplySource::kControlBytes] = {};
  msghdr msg{};
  msg.msg_name = const_cast<void*>(static_cast<const void*>(to.data()));
  msg.msg_namelen = static_cast<socklen_t>(to.size());
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  msg.msg_controllen = reply_source_.append_source(to, CMSG_FIRSTHDR(&msg));
  if (msg.msg_controllen == 0) msg.msg_control = nullptr;
  for (std::size_t off = 0; off < data.size(); off += segment_size) {
    iovec iov{const_cast<std::uint8_t*>(data.data() + off), std::min(segment_size, data.size() - off)};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ::sendmsg(socket_.native_handle(), &msg, MSG_DONTWAIT);
  }
}

}  // namespace mosaik::transport::detail

namespace mosaik::transport {

std::expected<std::unique_ptr<PacketPath>, std::string> open_udp_path(
    asio::any_io_executor executor, const UdpEndpoint& local) {
  auto path = detail::UdpSocketPath::open(std::move(executor), local);
  if (!path) return std::unexpected(path.error());
  return std::unique_ptr<PacketPath>(std::move(*path));
}

}  // namespace mosaik::transport
