#include "metrics_server.hpp"

#include <prometheus/exposer.h>

#include <fmt/format.h>

#include <exception>

#include "collector.hpp"

namespace mosaik::network::detail {

std::expected<std::unique_ptr<MetricsServer>, std::string> MetricsServer::start(SocketAddr address,
                                                                                Sources sources) {
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  server->collector_ = std::make_shared<Collector>(std::move(sources));
  const auto bind = address.address().is_v6()
                        ? fmt::format("[{}]:{}", address.address().to_string(), address.port())
                        : fmt::format("{}:{}", address.address().to_string(), address.port());
  try {
    server->exposer_ = std::make_unique<prometheus::Exposer>(bind, /*num_threads=*/1);
  } catch (const std::exception& e) {
    return std::unexpected(fmt::format("cannot serve metrics on {}: {}", bind, e.what()));
  }
  server->exposer_->RegisterCollectable(server->collector_);
  const auto ports = server->exposer_->GetListeningPorts();
  server->address_ = SocketAddr(address.address(),
                                ports.empty() ? address.port() : static_cast<std::uint16_t>(ports.front()));
  return server;
}

MetricsServer::~MetricsServer() = default;

}  // namespace mosaik::network::detail
