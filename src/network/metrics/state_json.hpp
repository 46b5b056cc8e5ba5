#pragma once
// /state.json, what the live web view draws: this node, the peers in its catalog, its
// stream channels with their counters (the page turns two readings into rates), and the
// groups its catalog advertises with the leader, term and commit index their members report.

#include <string>

#include "metrics_server.hpp"

namespace mosaik::network::detail {

std::string state_json(const MetricsServer::Sources& sources);

}  // namespace mosaik::network::detail
