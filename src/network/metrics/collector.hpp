#pragma once
// The metric families a scrape returns, built from the node's counters at that moment.
// Names follow Prometheus conventions: mosaik_<subsystem>_<what>[_<unit>][_total].

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <memory>
#include <vector>

#include "metrics_server.hpp"

namespace mosaik::network::detail {

class MetricsServer::Collector final : public prometheus::Collectable {
 public:
  explicit Collector(Sources sources) : sources_(std::move(sources)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  Sources sources_;
};

}  // namespace mosaik::network::detail
