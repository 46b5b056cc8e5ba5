// The UDP packet path on loopback: a segmented (GSO) send arrives as the same datagrams,
// whether the receiving kernel splits it or hands it over whole (UDP_GRO).
#include <gtest/gtest.h>

#include <asio/io_context.hpp>

#include <vector>

#include "mosaik/transport/packet_path.hpp"
#include "support/time.hpp"

namespace mosaik::transport {
namespace udp_path_test {
namespace {

struct Collect final : PacketSink {
  std::vector<std::vector<std::uint8_t>> packets;
  void on_packet(const UdpEndpoint&, std::span<const std::uint8_t> datagram) override {
    packets.emplace_back(datagram.begin(), datagram.end());
  }
  void on_batch_end() override {}
};

std::vector<std::uint8_t> numbered(std::size_t size) {
  std::vector<std::uint8_t> out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::uint8_t>(i * 7);
  return out;
}

TEST(UdpPath, a_segmented_send_arrives_as_its_datagrams_in_order) {
  asio::io_context io;
  const UdpEndpoint loopback(asio::ip::make_address("127.0.0.1"), 0);
  auto receiver = open_udp_path(io.get_executor(), loopback);
  auto sender = open_udp_path(io.get_executor(), loopback);
  ASSERT_TRUE(receiver.has_value()) << receiver.error();
  ASSERT_TRUE(sender.has_value()) << sender.error();
  Collect sink;
  (*receiver)->start(sink);

  // 10 segments of 1200 bytes and a short last one, then a lone small datagram.
  constexpr std::size_t kSegment = 1200;
  const auto batch = numbered(10 * kSegment + 345);
  const auto lone = numbered(77);
  (*sender)->send((*receiver)->local_endpoint(), batch, kSegment);
  (*sender)->send((*receiver)->local_endpoint(), lone, kSegment);

  const auto deadline = std::chrono::steady_clock::now() + mosaik::test::secs(5);
  while (sink.packets.size() < 12 && std::chrono::steady_clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(sink.packets.size(), 12u);
  for (std::size_t i = 0; i < 11; ++i) {
    const std::size_t size = i < 10 ? kSegment : 345;
    ASSERT_EQ(sink.packets[i].size(), size) << "datagram " << i;
    EXPECT_TRUE(std::equal(sink.packets[i].begin(), sink.packets[i].end(),
                           batch.begin() + static_cast<std::ptrdiff_t>(i * kSegment)))
        << "datagram " << i;
  }
  EXPECT_EQ(sink.packets[11], lone);
  (*receiver)->close();
  (*sender)->close();
}

}  // namespace
}  // namespace udp_path_test
}  // namespace mosaik::transport
