// The UDP packet path: one non-blocking socket, read in batches (recvmmsg) when Asio reports
// it readable, written with generic segmentation offload (UDP_SEGMENT) when the kernel has it.
#pragma once

#include <asio/ip/udp.hpp>

#include <array>
#include <memory>

#include "mosaik/transport/packet_path.hpp"

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

  // Datagrams read per recvmmsg call, and the largest datagram we accept.
  static constexpr std::size_t kBatch = 32;
  static constexpr std::size_t kMaxDatagram = 2048;

 private:
  explicit UdpSocketPath(asio::ip::udp::socket socket);
  void arm_read();
  void drain();
  void send_each(const UdpEndpoint& to, std::span<const std::uint8_t> data,
                 std::size_t segment_size);

  asio::ip::udp::socket socket_;
  UdpEndpoint local_;
  PacketSink* sink_ = nullptr;
  bool gso_ = true;  // cleared when the kernel refuses UDP_SEGMENT
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  std::unique_ptr<std::array<std::array<std::uint8_t, kMaxDatagram>, kBatch>> rx_;
};

}  // namespace mosaik::transport::detail
