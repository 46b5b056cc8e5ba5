// What tests/network/node_process_main.cpp runs, shared with the tests that start it.
#pragma once

#include <cstdint>
#include <string_view>

#include "mosaik/primitives/digest.hpp"
#include "mosaik/primitives/wire.hpp"

namespace mosaik::test {

inline const NetworkId kNodeProcessNetwork = "node-process-test";

struct Tick {
  std::uint64_t n = 0;
  MSGPACK_DEFINE(n);
  static constexpr std::string_view stream_name = "test/process-tick";
};

}  // namespace mosaik::test
