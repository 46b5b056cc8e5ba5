#pragma once
// The tool's commands, each run on its own node until done or stopped.

#include <asio/awaitable.hpp>

#include "mosaik/mosaik.hpp"
#include "options.hpp"

namespace mosaik_tool {

// Prints the node's address (alone with --print-address-only), then the peers joining and
// leaving, until stopped.
asio::awaitable<void> run_bootstrap(mosaik::Network node, Options opt);
// peers, streams, groups: joins, lets gossip settle, prints the catalog once.
asio::awaitable<void> run_listing(mosaik::Network node, Options opt);
// Joins, prints the peers already there, then every join, change and departure, until stopped.
asio::awaitable<void> run_watch(mosaik::Network node, Options opt);

}  // namespace mosaik_tool
