#pragma once
// /state.json, what the live web view draws: this node, the peers in its catalog, and its
// stream channels with their counters (the page turns two readings into rates).

#include <string>

#include "metrics_server.hpp"

namespace mosaik::network::detail {

std::string state_json(const MetricsServer::Sources& sources);

}  // namespace mosaik::network::detail
