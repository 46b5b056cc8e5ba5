#include "fault_injection.hpp"

namespace mosaik::transport::detail {

FaultInjectingPath::FaultInjectingPath(asio::any_io_executor executor,
                                       std::unique_ptr<PacketPath> inner, FaultConfig config)
    : inner_(std::move(inner)), config_(config), rng_(config.seed), timer_(executor) {}

FaultInjectingPath::~FaultInjectingPath() { close(); }

void FaultInjectingPath::set(const FaultConfig& config) {
  if (config.seed != config_.seed) rng_.seed(config.seed);
  config_ = config;
}

bool FaultInjectingPath::chance(double p) {
  if (p <= 0) return false;
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < p;
}

void FaultInjectingPath::send(const UdpEndpoint& to, std::span<const std::uint8_t> data,
                              std::size_t segment_size) {
  if (!config_.active()) {
    inner_->send(to, data, segment_size);
    return;
  }
  for (std::size_t off = 0; off < data.size(); off += segment_size) {
    auto one = data.subspan(off, std::min(segment_size, data.size() - off));
    if (chance(config_.drop)) continue;
    const int copies = chance(config_.duplicate) ? 2 : 1;
    for (int c = 0; c < copies; ++c) {
      if (chance(config_.delay)) {
        if (delayed_.size() >= kMaxDelayed) continue;
        delayed_.push_back({std::chrono::steady_clock::now() + config_.delay_by, to,
                            std::vector<std::uint8_t>(one.begin(), one.end())});
        arm_timer();
      } else {
        inner_->send(to, one, one.size());
      }
    }
  }
}

void FaultInjectingPath::arm_timer() {
  if (timer_armed_ || delayed_.empty()) return;
  timer_armed_ = true;
  timer_.expires_at(delayed_.front().due);
  timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](std::error_code ec) {
    if (ec || alive.expired()) return;
    timer_armed_ = false;
    const auto now = std::chrono::steady_clock::now();
    while (!delayed_.empty() && delayed_.front().due <= now) {
      auto& d = delayed_.front();
      inner_->send(d.to, d.bytes, d.bytes.size());
      delayed_.pop_front();
    }
    arm_timer();
  });
}

void FaultInjectingPath::close() {
  alive_.reset();
  timer_.cancel();
  delayed_.clear();
  inner_->close();
}

}  // namespace mosaik::transport::detail
