// Test hook: a PacketPath wrapper that drops, duplicates or delays a share of outgoing
// datagrams, drawing every decision from one seeded generator.
#pragma once

#include <asio/steady_timer.hpp>

#include <deque>
#include <memory>
#include <random>

#include "mosaik/transport/packet_path.hpp"

namespace mosaik::transport::detail {

class FaultInjectingPath final : public PacketPath, public FaultControl {
 public:
  FaultInjectingPath(asio::any_io_executor executor, std::unique_ptr<PacketPath> inner,
                     FaultConfig config);
  ~FaultInjectingPath() override;

  UdpEndpoint local_endpoint() const override { return inner_->local_endpoint(); }
  void start(PacketSink& sink) override { inner_->start(sink); }
  void send(const UdpEndpoint& to, std::span<const std::uint8_t> data,
            std::size_t segment_size) override;
  void close() override;

  void set(const FaultConfig& config) override;
  FaultConfig get() const override { return config_; }

  // Delayed datagrams held at once; beyond it a delayed datagram is dropped instead.
  static constexpr std::size_t kMaxDelayed = 4096;

 private:
  struct Delayed {
    std::chrono::steady_clock::time_point due;
    UdpEndpoint to;
    std::vector<std::uint8_t> bytes;
  };
  bool chance(double p);
  void arm_timer();

  std::unique_ptr<PacketPath> inner_;
  FaultConfig config_;
  std::mt19937_64 rng_;
  asio::steady_timer timer_;
  std::deque<Delayed> delayed_;  // due times are non-decreasing (one fixed delay)
  bool timer_armed_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace mosaik::transport::detail
