#pragma once
// The orderbook example's command line. Every flag has a MOSAIK_* environment fallback;
// --help lists them with their defaults.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "mosaik/transport/endpoint_addr.hpp"

namespace orderbook {

struct Options {
  std::string role = "demo";  // demo | engine | trader | reporter
  std::optional<mosaik::EndpointAddr> peer;  // a node to join the network through
  std::string network = "orderbook-example";
  std::string group_secret = "orderbook-example-group";  // engines: hashed into the group key
  std::string name = "engine";                          // engine: how it signs its lines
  std::string trader = "alice";                         // trader: whose scripted orders to send
  std::uint64_t fills = 0;                              // reporter: exit after this many (0: never)
  mosaik::SocketAddr listen{asio::ip::make_address("127.0.0.1"), 0};
  std::chrono::seconds timeout{30};  // the longest any one wait of the demo may last
};

// Options to run with, or the exit code to leave with (after --help or a refused flag).
std::variant<Options, int> parse_options(int argc, char** argv);

}  // namespace orderbook
