// The test side of node_process: reading what the child printed.
#pragma once

#include <stdexcept>
#include <string>

#include "mosaik/transport/endpoint_addr.hpp"
#include "node_process.hpp"
#include "support/child_process.hpp"

namespace mosaik::test {

// The address a node_process printed at start (fails the test if it printed none).
inline asio::awaitable<EndpointAddr> node_process_address(ChildProcess& child) {
  const std::string line = co_await child.until_line("address: ", 20);
  auto addr = EndpointAddr::parse(line.substr(line.find("address: ") + 9));
  if (!addr) throw std::runtime_error("not an address: " + line);
  co_return *addr;
}

}  // namespace mosaik::test
