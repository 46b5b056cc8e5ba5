#pragma once
// The counters behind Endpoint::traffic(): written on the endpoint's executor, read from any
// thread (a metrics scrape). CountingPath wraps the endpoint's packet path to count what is
// sent; what arrives is counted where the endpoint receives it (EndpointCore::on_packet).

#include <atomic>
#include <memory>

#include "mosaik/transport/packet_path.hpp"
#include "mosaik/transport/traffic.hpp"

namespace mosaik::transport::detail {

struct TrafficCounters {
  std::atomic<std::uint64_t> bytes_in{0}, bytes_out{0}, packets_in{0}, packets_out{0};
  std::atomic<std::uint64_t> connections{0};
  std::array<std::atomic<std::uint64_t>, kHandshakeFailureKinds> handshake_failures{};
  std::array<std::atomic<std::uint64_t>, kDialFailureKinds> dial_failures{};

  void received(std::size_t bytes) {
    bytes_in.fetch_add(bytes, std::memory_order_relaxed);
    packets_in.fetch_add(1, std::memory_order_relaxed);
  }
  void failed(HandshakeFailure f) {
    handshake_failures[static_cast<std::size_t>(f)].fetch_add(1, std::memory_order_relaxed);
  }
  void failed(DialFailure f) {
    dial_failures[static_cast<std::size_t>(f)].fetch_add(1, std::memory_order_relaxed);
  }
  TrafficStats snapshot() const {
    TrafficStats s;
    s.bytes_in = bytes_in.load(std::memory_order_relaxed);
    s.bytes_out = bytes_out.load(std::memory_order_relaxed);
    s.packets_in = packets_in.load(std::memory_order_relaxed);
    s.packets_out = packets_out.load(std::memory_order_relaxed);
    s.connections = connections.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < kHandshakeFailureKinds; ++i) {
      s.handshake_failures[i] = handshake_failures[i].load(std::memory_order_relaxed);
    }
    for (std::size_t i = 0; i < kDialFailureKinds; ++i) {
      s.dial_failures[i] = dial_failures[i].load(std::memory_order_relaxed);
    }
    return s;
  }
};

// Counts the datagrams and bytes handed to `inner` (a GSO send of n segments is n packets).
class CountingPath final : public PacketPath {
 public:
  CountingPath(std::unique_ptr<PacketPath> inner, std::shared_ptr<TrafficCounters> counters)
      : inner_(std::move(inner)), counters_(std::move(counters)) {}

  UdpEndpoint local_endpoint() const override { return inner_->local_endpoint(); }
  void start(PacketSink& sink) override { inner_->start(sink); }
  void send(const UdpEndpoint& to, std::span<const std::uint8_t> data,
            std::size_t segment_size) override {
    const std::size_t segments =
        segment_size == 0 ? 1 : (data.size() + segment_size - 1) / segment_size;
    counters_->bytes_out.fetch_add(data.size(), std::memory_order_relaxed);
    counters_->packets_out.fetch_add(segments, std::memory_order_relaxed);
    inner_->send(to, data, segment_size);
  }
  void close() override { inner_->close(); }

 private:
  std::unique_ptr<PacketPath> inner_;
  std::shared_ptr<TrafficCounters> counters_;
};

}  // namespace mosaik::transport::detail
