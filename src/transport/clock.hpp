// The one place the transport reads time: ngtcp2 takes nanosecond timestamps from it.
#pragma once

#include <chrono>
#include <cstdint>

namespace mosaik::transport::detail {

inline std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace mosaik::transport::detail
