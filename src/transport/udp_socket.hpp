// The UDP packet path: one non-blocking socket, read in batches (recvmmsg) when Asio reports
// it readable, written with generic segmentation offload (UDP_SEGMENT) when the kernel has it.
// Bound to a wildcard, it answers each peer from the address that peer wrote to.
#pragma once

#include <asio/ip/udp.hpp>

#include <array>
#include <memory>

#include "mosaik/transport/packet_path.hpp"
#include "udp_reply_source.hpp"

namespace mosaik::transport::detail {

class UdpSocketPath final : public PacketPath {
 public:
  [[nodiscard]] static std::expected<std::unique_ptr<UdpSocketPath>, std::string> open(
      asio::any_io_executor executor, const UdpEndpoint& local);
  ~UdpSocketPath() override;

  UdpEndpoint local_endpoint() const override { return local_; }
  void start(PacketSink& sink) override;
  void send(const UdpEndpoint& to, std::span<const std::uint8_t> data,
            std::size_t segment_size) override;
  void close() override;

  // Datagrams read per recvmmsg call, and the largest read we accept: a whole UDP
  // datagram, because with UDP_GRO a read is a sender's whole GSO batch (on loopback the
  // kernel never splits it), and a peer may send packets up to what its path allows.
  static constexpr std::size_t kBatch = 8;
  static constexpr std::size_t kMaxRead = 65536;

 private:
  UdpSocketPath(asio::ip::udp::socket socket, bool gro);
  void arm_read();
  void drain_then_rearm();
  // Reads a bounded number of batches; true when the socket was left empty.
  bool drain();
  void send_each(const UdpEndpoint& to, std::span<const std::uint8_t> data,
                 std::size_t segment_size);

  asio::ip::udp::socket socket_;
  UdpEndpoint local_;
  PacketSink* sink_ = nullptr;
  bool gso_ = true;  // cleared when the kernel refuses UDP_SEGMENT
  bool gro_;         // the kernel accepted UDP_GRO: a read may hold several packets
  UdpReplySource reply_source_;  // on a wildcard bind: reply from the address written to
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  // kBatch x kMaxRead, not zero-filled: an endpoint touches only what it receives.
  std::unique_ptr<std::uint8_t[]> rx_;
};

}  // namespace mosaik::transport::detail
