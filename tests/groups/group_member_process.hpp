#pragma once
// What tests/groups/group_member_main.cpp runs, shared with the test that starts it.
//
//   auto child = ChildProcess::spawn(ex, MOSAIK_GROUP_MEMBER, group_member_args(key, node));
//   co_await child.until_line("joined", 20);

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mosaik/primitives/digest.hpp"

namespace mosaik::test {

inline const NetworkId kGroupProcessNetwork = "groups-process-test";

// What a member prints of its state when asked to stop: "replica state: <commands> <digest>".
inline std::uint64_t applied_digest(std::span<const std::uint64_t> applied) {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a over the values in commit order
  for (auto v : applied) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xff;
      h *= 0x100000001b3ull;
    }
  }
  return h;
}

}  // namespace mosaik::test
