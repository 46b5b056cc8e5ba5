#include "memory_network.hpp"

#include <asio/post.hpp>

#include <string>
#include <vector>

namespace mosaik::fuzz {

struct MemoryNetwork::Shared {
  asio::any_io_executor executor;
  std::map<UdpEndpoint, transport::PacketSink*> sinks;  // started paths by address
  Tap tap;

  void deliver(const UdpEndpoint& from, const UdpEndpoint& to, std::span<const std::uint8_t> datagram,
               std::shared_ptr<Shared> self) {
    if (tap) tap(from, to, datagram);
    asio::post(executor, [self = std::move(self), from, to,
                          bytes = std::vector<std::uint8_t>(datagram.begin(), datagram.end())] {
      // Looked up at delivery: the path may have closed meanwhile.
      if (auto it = self->sinks.find(to); it != self->sinks.end()) it->second->on_packet(from, bytes);
    });
  }
};

namespace {

class MemoryPath final : public transport::PacketPath {
 public:
  MemoryPath(std::shared_ptr<MemoryNetwork::Shared> shared, const transport::UdpEndpoint& local)
      : shared_(std::move(shared)), local_(local) {}
  ~MemoryPath() override { close(); }

  transport::UdpEndpoint local_endpoint() const override { return local_; }
  void start(transport::PacketSink& sink) override {
    shared_->sinks[local_] = &sink;
    started_ = true;
  }
  void send(const transport::UdpEndpoint& to, std::span<const std::uint8_t> data,
            std::size_t segment_size) override {
    if (segment_size == 0) segment_size = data.size();
    for (std::size_t offset = 0; offset < data.size(); offset += segment_size) {
      shared_->deliver(local_, to, data.subspan(offset, std::min(segment_size, data.size() - offset)), shared_);
    }
  }
  void close() override {
    if (started_) shared_->sinks.erase(local_);
    started_ = false;
  }

 private:
  std::shared_ptr<MemoryNetwork::Shared> shared_;
  transport::UdpEndpoint local_;
  bool started_ = false;
};

}  // namespace

MemoryNetwork::MemoryNetwork(asio::any_io_executor executor)
    : shared_(std::make_shared<Shared>(Shared{std::move(executor), {}, {}})) {}

transport::PacketPathFactory MemoryNetwork::factory() {
  return [shared = shared_](asio::any_io_executor, const UdpEndpoint& local)
             -> std::expected<std::unique_ptr<transport::PacketPath>, std::string> {
    if (local.port() == 0 || shared->sinks.contains(local)) {
      return std::unexpected("memory network: address " + local.address().to_string() + ":" +
                             std::to_string(local.port()) + " unavailable");
    }
    return std::make_unique<MemoryPath>(shared, local);
  };
}

void MemoryNetwork::set_tap(Tap tap) { shared_->tap = std::move(tap); }

void MemoryNetwork::deliver(const UdpEndpoint& from, const UdpEndpoint& to,
                            std::span<const std::uint8_t> datagram) {
  shared_->deliver(from, to, datagram, shared_);
}

}  // namespace mosaik::fuzz
