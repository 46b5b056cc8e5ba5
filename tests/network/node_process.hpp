// What tests/network/node_process_main.cpp runs, shared with the tests that start it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mosaik/primitives/digest.hpp"
#include "mosaik/primitives/wire.hpp"
#include "mosaik/transport/endpoint_addr.hpp"
#include "support/child_process.hpp"

namespace mosaik::test {

inline const NetworkId kNodeProcessNetwork = "node-process-test";

struct Tick {
  std::uint64_t n = 0;
  MSGPACK_DEFINE(n);
  static constexpr std::string_view stream_name = "test/process-tick";
};

// The address a node_process printed at start (fails the test if it printed none).
inline asio::awaitable<EndpointAddr> node_process_address(ChildProcess& child) {
  const std::string line = co_await child.until_line("address: ", 20);
  auto addr = EndpointAddr::parse(line.substr(line.find("address: ") + 9));
  if (!addr) throw std::runtime_error("not an address: " + line);
  co_return *addr;
}

}  // namespace mosaik::test
