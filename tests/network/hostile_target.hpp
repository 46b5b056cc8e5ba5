// What tests/network/hostile_target_main.cpp serves, shared with the tests that attack it.
#pragma once

#include <cstdint>
#include <string_view>

#include "mosaik/primitives/digest.hpp"
#include "mosaik/primitives/wire.hpp"

namespace mosaik::test {

inline const NetworkId kHostileNetwork = "hostile-input-target";

struct Tick {
  std::uint64_t n = 0;
  MSGPACK_DEFINE(n);
  static constexpr std::string_view stream_name = "test/hostile-tick";
};

}  // namespace mosaik::test
