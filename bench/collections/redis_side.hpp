#pragma once
// The reference side of bench/collections: a redis-server child on 127.0.0.1 and a minimal
// RESP client over one TCP connection (SET pipelined, GET one round trip at a time).

#include <cstdint>
#include <optional>
#include <string>

namespace bench {

struct RedisFigures {
  double set_s = 0;          // SETs per second, pipelined
  double get_p50_ns = 0;     // one GET round trip over the local connection
};

// Starts redis-server (found on PATH or in /usr/bin), measures, stops it; nullopt when
// redis-server is not installed or does not come up.
std::optional<RedisFigures> measure_redis(std::uint64_t sets, std::uint64_t pipeline, std::uint64_t gets);

}  // namespace bench
