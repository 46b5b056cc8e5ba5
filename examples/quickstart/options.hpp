#pragma once
// The quickstart's command line: every flag, its MOSAIK_* fallback, its default (shown by
// --help) and its check. A value that cannot be used is refused with a message naming the
// flag and a non-zero exit, never ignored.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "mosaik/primitives/keys.hpp"
#include "mosaik/transport/endpoint_addr.hpp"

namespace quickstart {

struct Options {
  std::string role = "both";
  std::optional<mosaik::EndpointAddr> peer;
  std::string network = "sensor-network";
  std::optional<std::string> secret;
  mosaik::SocketAddr listen{asio::ip::address_v4::any(), 0};  // every interface (decision 0207)
  std::uint64_t count = 10;  // 0: until stopped
  std::chrono::milliseconds interval{100};
  // The longest any one wait may last (0: no limit): for a consumer to subscribe, for the
  // producer to be reached, for the next reading, for consumers to finish.
  std::chrono::seconds timeout{60};
};

// Options to run with, or the exit code to leave with (after --help, or a refused flag,
// whose message is already printed).
std::variant<Options, int> parse_options(int argc, char** argv);

}  // namespace quickstart
