// Datagram sizes on loopback: handshake packets stay at QUIC's 1200-byte minimum, stream data
// then travels in packets far larger than an Ethernet MTU (decision 0203), never over 16 KiB.
#include <gtest/gtest.h>

#include <asio/experimental/awaitable_operators.hpp>

#include <algorithm>
#include <mutex>
#include <vector>

#include "transport_fixture.hpp"

namespace mosaik::transport::test {
namespace packet_size_test {
namespace {

using namespace asio::experimental::awaitable_operators;

constexpr std::size_t kQuicMinimumPacket = 1200;

// Every datagram size a path sends, in order.
struct SentSizes {
  std::mutex mutex;
  std::vector<std::size_t> sizes;

  std::vector<std::size_t> snapshot() {
    std::lock_guard lock(mutex);
    return sizes;
  }
};

class RecordingPath final : public PacketPath {
 public:
  RecordingPath(std::unique_ptr<PacketPath> inner, std::shared_ptr<SentSizes> sent)
      : inner_(std::move(inner)), sent_(std::move(sent)) {}
  UdpEndpoint local_endpoint() const override { return inner_->local_endpoint(); }
  void start(PacketSink& sink) override { inner_->start(sink); }
  void send(const UdpEndpoint& to, std::span<const std::uint8_t> data,
            std::size_t segment_size) override {
    {
      std::lock_guard lock(sent_->mutex);
      for (std::size_t off = 0; off < data.size(); off += segment_size) {
        sent_->sizes.push_back(std::min(segment_size, data.size() - off));
      }
    }
    inner_->send(to, data, segment_size);
  }
  void close() override { inner_->close(); }

 private:
  std::unique_ptr<PacketPath> inner_;
  std::shared_ptr<SentSizes> sent_;
};

EndpointConfig recording_config(std::shared_ptr<SentSizes> sent) {
  auto config = loopback_config();
  config.packet_path_factory = [sent](asio::any_io_executor executor, const UdpEndpoint& local)
      -> std::expected<std::unique_ptr<PacketPath>, std::string> {
    auto udp = open_udp_path(executor, local);
    if (!udp) return std::unexpected(udp.error());
    return std::make_unique<RecordingPath>(std::move(*udp), sent);
  };
  return config;
}

TEST(TransportPacketSize, loopback_handshake_uses_1200_byte_packets_then_data_uses_large_ones) {
  auto client_sent = std::make_shared<SentSizes>();
  auto server = bind_or_die(SecretKey::generate());
  auto client = bind_or_die(SecretKey::generate(), recording_config(client_sent));
  serve_echo(server);

  constexpr std::uint64_t kCount = 256;
  constexpr std::size_t kBody = 4096;
  const auto result = run_on(
      client,
      [](Endpoint& ep, EndpointAddr to) -> asio::awaitable<std::string> {
        auto link = co_await Link<Numbered>::open(ep, to);
        if (!link) co_return "open: " + link.error().message;
        auto halves = std::move(*link).split();
        auto results = co_await (send_numbered(halves.first, kCount, kBody) &&
                                 expect_numbered(halves.second, kCount, kBody));
        co_return std::get<0>(results) + std::get<1>(results);
      }(client, server.addr()),
      60);
  ASSERT_EQ(result, "");

  const auto sizes = client_sent->snapshot();
  ASSERT_GE(sizes.size(), 2u);
  // The client's first flight: its Initial, padded to exactly the QUIC minimum.
  EXPECT_EQ(sizes.front(), kQuicMinimumPacket);
  const auto largest = *std::max_element(sizes.begin(), sizes.end());
  EXPECT_GT(largest, 1500u) << "1 MiB of stream data each way never used a packet above 1500 bytes";
  EXPECT_LE(largest, 16384u);
}

}  // namespace
}  // namespace packet_size_test
}  // namespace mosaik::transport::test
