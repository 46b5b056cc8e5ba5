#pragma once
// MetricsServer: the node's Prometheus endpoint and live web view (NetworkBuilder::
// with_metrics). An HTTP server (prometheus-cpp's Exposer, civetweb threads) answers
// GET /metrics in the text format, GET / with a self-contained page and GET /state.json with
// what the page draws; each request reads the subsystems' counters at that moment
// (docs/decisions/0701): nothing is recorded twice and nothing runs between requests.

#include <expected>
#include <memory>
#include <string>

#include "mosaik/discovery/discovery.hpp"
#include "mosaik/transport/endpoint.hpp"
#include "mosaik/transport/endpoint_addr.hpp"

namespace prometheus {
class Exposer;
}

namespace mosaik::streams::detail {
class StreamsService;
}

namespace mosaik::groups::detail {
class GroupsService;
}

namespace mosaik::network::detail {

class MetricsServer {
 public:
  struct Sources {
    discovery::Discovery discovery;
    transport::Endpoint endpoint;
    std::weak_ptr<streams::detail::StreamsService> streams;
    std::weak_ptr<groups::detail::GroupsService> groups;
  };

  // Listens on `address` (port 0: any free port); the error says why it could not.
  static std::expected<std::unique_ptr<MetricsServer>, std::string> start(SocketAddr address,
                                                                           Sources sources);
  ~MetricsServer();  // stops the server: no scrape runs after it returns

  // Where it listens (the port chosen when 0 was asked for).
  SocketAddr address() const { return address_; }

 private:
  class Collector;
  MetricsServer() = default;
  std::shared_ptr<Collector> collector_;
  std::unique_ptr<Sources> sources_;  // what / and /state.json read; outlives exposer_
  std::unique_ptr<prometheus::Exposer> exposer_;
  SocketAddr address_;
};

}  // namespace mosaik::network::detail
