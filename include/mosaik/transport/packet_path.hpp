#pragma once
// The packet path: how an endpoint's QUIC packets reach the network. The endpoint only sees
// this interface, so a UDP socket, a relay or a simulated network can carry the packets; the
// fault-injection hook for tests wraps any path.
//
//   struct MySink : PacketSink { void on_packet(...) override; void on_batch_end() override; };
//   path->start(sink);  path->send(peer, bytes, 1200);

#include <asio/any_io_executor.hpp>
#include <asio/ip/udp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace mosaik::transport {

using UdpEndpoint = asio::ip::udp::endpoint;

// Receives what a path reads. Called on the endpoint's executor.
class PacketSink {
 public:
  virtual ~PacketSink() = default;
  virtual void on_packet(const UdpEndpoint& from, std::span<const std::uint8_t> datagram) = 0;
  // A burst of packets ended: a good moment to send acknowledgements.
  virtual void on_batch_end() = 0;
};

class PacketPath {
 public:
  virtual ~PacketPath() = default;
  virtual UdpEndpoint local_endpoint() const = 0;
  // Starts delivering packets to `sink` (which must outlive the path or close() it first).
  virtual void start(PacketSink& sink) = 0;
  // Sends `data` as datagrams of `segment_size` bytes each (the last may be shorter).
  // Best effort, never blocks: like UDP, a packet may be lost.
  virtual void send(const UdpEndpoint& to, std::span<const std::uint8_t> data,
                    std::size_t segment_size) = 0;
  // Stops delivery and releases the underlying resource. Idempotent.
  virtual void close() = 0;
};

// Test hook: a share of outgoing datagrams is dropped, duplicated or delayed (each decision
// drawn independently from one seeded generator, so a failing run can be replayed).
struct FaultConfig {
  double drop = 0.0;       // probability in [0, 1]
  double duplicate = 0.0;  // probability in [0, 1]
  double delay = 0.0;      // probability in [0, 1]
  std::chrono::microseconds delay_by{2000};
  std::uint64_t seed = 1;

  bool active() const { return drop > 0 || duplicate > 0 || delay > 0; }
};

// Runtime control over an endpoint's fault injection (tests change it mid-run).
class FaultControl {
 public:
  virtual ~FaultControl() = default;
  virtual void set(const FaultConfig& config) = 0;
  virtual FaultConfig get() const = 0;
};

// Opens a UDP socket bound to `local` on `executor`.
[[nodiscard]] std::expected<std::unique_ptr<PacketPath>, std::string> open_udp_path(
    asio::any_io_executor executor, const UdpEndpoint& local);

// A PacketPath factory lets relays or a simulated network replace UDP.
using PacketPathFactory = std::function<std::expected<std::unique_ptr<PacketPath>, std::string>(
    asio::any_io_executor, const UdpEndpoint&)>;

}  // namespace mosaik::transport
