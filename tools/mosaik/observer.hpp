#pragma once
// Starting the tool's own node: a bootstrap node, or an observer that joins through the
// bootstrap peers (a catalog sync with each) to read the catalog.

#include <asio/awaitable.hpp>
#include <stdexcept>

#include "mosaik/mosaik.hpp"
#include "options.hpp"

namespace mosaik_tool {

// A failure the user can act on: printed as "mosaik: <what>", exit 1.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The tag an observer advertises, so that other listings can tell it from a real node.
inline constexpr const char* kObserverTag = "mosaik-observer";

// Builds the node; a bootstrap node advertises --tag and dials --bootstrap in the background.
asio::awaitable<mosaik::Network> start_node(const Options& opt);

// Syncs the catalog with every --bootstrap peer, each within what is left of --timeout;
// fails when none answers (a peer that does not is reported on stderr).
asio::awaitable<void> join_through_bootstrap(mosaik::Network node, const Options& opt);

}  // namespace mosaik_tool
