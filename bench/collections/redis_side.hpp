#pragma once
// The reference side of bench/collections: a redis-server child on 127.0.0.1 and a minimal
// RESP client over one TCP connection (SET pipelined, GET one round trip at a time).

#include <cstdint>
#include <optional>
#include <string>

#include "mosaik_side.hpp"

namespace bench {

struct RedisFigures {
  double set_s = 0;          // SETs per second, pipelined
  std::uint64_t sets = 0;    // how many that rate is over
  double get_p50_ns = 0;     // one GET round trip over the local connection
};

// Starts redis-server (found on PATH or in /usr/bin), measures, stops it; nullopt when
// redis-server is not installed or does not come up.
// SETs within `budget` (the same as each of the map's insert runs), `pipeline` deep.
std::optional<RedisFigures> measure_redis(const WriteBudget& budget, std::uint64_t pipeline, std::uint64_t gets);

}  // namespace bench
