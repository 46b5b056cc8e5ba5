#pragma once
// The `mosaik` tool's command line: the options every command shares (network, bootstrap
// peers, secrets, where to listen), each with a MOSAIK_* fallback, and each command's own.
// A value that cannot be used is refused with a message naming the flag, exit non-zero.

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "mosaik/primitives/keys.hpp"
#include "mosaik/transport/endpoint_addr.hpp"

namespace mosaik_tool {

enum class Command { kBootstrap, kPeers, kWatch, kStreams, kGroups };

struct Options {
  Command command = Command::kPeers;
  std::string network;                              // --network (required)
  std::vector<mosaik::EndpointAddr> bootstrap;      // --bootstrap, repeatable
  std::optional<std::string> secret;                // --secret: seed of the node's identity
  std::optional<std::string> network_secret;        // --network-secret
  mosaik::SocketAddr listen{asio::ip::address_v4::any(), 0};
  bool mdns = false;                                // --mdns
  bool dht = true;                                  // --no-dht turns it off
  std::chrono::seconds timeout{10};                 // --timeout: reaching the bootstrap peers
  // Listings.
  bool json = false;                                // --json
  std::chrono::milliseconds settle{500};            // --settle-ms: gossip after the syncs
  // bootstrap.
  std::vector<std::string> tags{"bootstrap"};       // --tag, repeatable
  bool print_address_only = false;                  // --print-address-only
  std::optional<mosaik::SocketAddr> metrics;        // --metrics: Prometheus and the web view
};

// Options to run with, or the exit code to leave with (after --help, or a refused flag,
// whose message is already printed).
std::variant<Options, int> parse_options(int argc, char** argv);

}  // namespace mosaik_tool
